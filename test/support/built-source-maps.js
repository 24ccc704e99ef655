// Jest transform for the built app (dist/, which the tests load: jest-resolver.js): the code as
// it is, with the source map `nest build` wrote beside it, so a stack trace from the app points
// at the TypeScript line in src/ rather than at the compiled JavaScript.
'use strict';
const { createHash } = require('node:crypto');
const fs = require('node:fs');

const readMap = (filename) => {
  try {
    return fs.readFileSync(`${filename}.map`, 'utf8');
  } catch {
    return null;
  }
};

module.exports = {
  process(code, filename) {
    return { code, map: readMap(filename) };
  },
  getCacheKey(code, filename) {
    return createHash('sha256')
      .update('1\0')
      .update(filename)
      .update('\0')
      .update(code)
      .update('\0')
      .update(readMap(filename) ?? '')
      .digest('hex');
  },
};
