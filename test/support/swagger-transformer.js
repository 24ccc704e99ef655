// Applies the @nestjs/swagger compiler plugin under ts-jest, as `nest build` does for the app,
// so the OpenAPI document in tests matches production's. Bump `version` to bust ts-jest's cache.
const transformer = require('@nestjs/swagger/plugin');
const options = require('../../nest-cli.json').compilerOptions.plugins[0].options;

module.exports.name = 'nestjs-swagger-transformer';
module.exports.version = 1;
module.exports.factory = (tsCompiler) => transformer.before(options, tsCompiler.program);
