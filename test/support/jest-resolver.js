// Tests run the application as it ships: its modules load from the build (dist/, made by
// `nest build` with the @nestjs/swagger plugin) instead of being compiled again by ts-jest.
// Compiling the sources under ts-jest meant a TypeScript language service in every Jest worker
// (about 10 s of CPU each before the first test) and a type check of every file the first time
// it was seen: most of the suite's CPU on two cores. Only the test files themselves are
// compiled, by ts-jest in isolated-modules mode (no type check: `npm run lint` type-checks the
// tests with tsc). globalSetup rebuilds dist/ first when a source changed (scripts/launch.js
// `built`), so a test never runs stale code.
//
// A path that resolves into src/, migrations/ or bench/ is sent to its built twin, whatever
// imports it, so the app has one copy of each module (one DI token per class); test files
// (*.spec.ts, *.e2e-spec.ts, *.fault-spec.ts) are entry points and never resolved through here.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const BUILT_DIRS = ['src', 'migrations', 'bench'].map((d) => path.join(ROOT, d) + path.sep);
const DIST = path.join(ROOT, 'dist');

module.exports = (request, options) => {
  const resolved = options.defaultResolver(request, options);
  if (!resolved.endsWith('.ts') || resolved.endsWith('.d.ts')) return resolved;
  if (!BUILT_DIRS.some((dir) => resolved.startsWith(dir))) return resolved;
  const built = path.join(DIST, path.relative(ROOT, resolved)).replace(/\.ts$/, '.js');
  if (!fs.existsSync(built)) {
    throw new Error(
      `${path.relative(ROOT, resolved)} has no build (${path.relative(ROOT, built)}): run \`npm run build\``,
    );
  }
  return built;
};
