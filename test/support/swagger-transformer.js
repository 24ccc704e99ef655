// Applies the @nestjs/swagger compiler plugin under ts-jest, as `nest build` does for the app,
// so the OpenAPI document in tests matches production's: the options are nest-cli.json's own.
// ts-jest caches compiled files by transformer version, so the version is derived from those
// options and the plugin's release: changing either recompiles (bump the suffix to force it).
const { createHash } = require('node:crypto');
const transformer = require('@nestjs/swagger/plugin');
const options = require('../../nest-cli.json').compilerOptions.plugins[0].options;
const { version: pluginVersion } = require('@nestjs/swagger/package.json');

module.exports.name = 'nestjs-swagger-transformer';
module.exports.version = `2-${createHash('sha256')
  .update(JSON.stringify({ options, pluginVersion }))
  .digest('hex')
  .slice(0, 12)}`;
module.exports.factory = (tsCompiler) => transformer.before(options, tsCompiler.program);
