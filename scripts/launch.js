#!/usr/bin/env node
'use strict';
/**
 * Runs a built entry point, building first only when the sources changed since the last build
 * (`nest build` costs 9-14 s even with nothing to do; this check costs milliseconds).
 *
 *   node scripts/launch.js dist/src/cli.js users:create --role finance …
 *   node scripts/launch.js node_modules/typeorm/cli.js migration:run -d dist/src/database/data-source.js
 *   node scripts/launch.js build [nest build options]   (always builds, then records the stamp)
 *   node scripts/launch.js built                         (builds only if the sources changed)
 *
 * "Changed" is decided by content, not by time: a SHA-256 over the path and bytes of every file
 * the build reads (src/, migrations/, bench/, the tsconfig and nest-cli files, the lockfile) is
 * compared with the one recorded in dist/.build-inputs by the last successful build. So an
 * edit, a new or deleted file, a branch switch or a file restored with an old date all rebuild,
 * and nothing else does. The hash is taken before building: a file saved while the build runs
 * rebuilds next time. Processes launched together (API and worker after a pull) build once:
 * the others wait on dist/.build-lock.
 *
 * Plain JavaScript on purpose: it must run before anything is compiled.
 */
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const OUT_DIR = path.join(ROOT, 'dist');
const STAMP = path.join(OUT_DIR, '.build-inputs');
const LOCK = path.join(OUT_DIR, '.build-lock');
const INPUT_DIRS = ['src', 'migrations', 'bench', 'web'];
const INPUT_FILES = ['tsconfig.json', 'tsconfig.build.json', 'nest-cli.json', 'package-lock.json'];
/** A lock older than this whose owner we cannot see is taken over (the build takes ~15 s). */
const STALE_LOCK_MS = 10 * 60 * 1000;

function listFiles(dir) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if (e.code === 'ENOENT') return [];
    throw e;
  }
  return entries.flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listFiles(full);
    return entry.isFile() ? [full] : [];
  });
}

/** The fingerprint of everything the build reads. */
function inputsHash(root = ROOT) {
  const files = [
    ...INPUT_DIRS.flatMap((d) => listFiles(path.join(root, d))),
    ...INPUT_FILES.map((f) => path.join(root, f)).filter((f) => fs.existsSync(f)),
  ]
    .map((f) => path.relative(root, f).split(path.sep).join('/'))
    .sort();
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(`${file}\0`);
    hash.update(fs.readFileSync(path.join(root, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

function readStamp() {
  try {
    return fs.readFileSync(STAMP, 'utf8').trim();
  } catch {
    return null;
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Runs `fn` holding dist/.build-lock; `fn` first re-checks, as the holder before may have built. */
function withBuildLock(fn) {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  let told = false;
  for (;;) {
    try {
      fs.writeFileSync(LOCK, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    let owner = NaN;
    let age = 0;
    try {
      owner = Number(fs.readFileSync(LOCK, 'utf8'));
      age = Date.now() - fs.statSync(LOCK).mtimeMs;
    } catch {
      continue; // released meanwhile
    }
    // An owner that died (Ctrl-C, kill) leaves its lock behind.
    if (!(owner > 0 && isAlive(owner)) && (owner > 0 || age > 1000)) {
      fs.rmSync(LOCK, { force: true });
      continue;
    }
    if (age > STALE_LOCK_MS) {
      fs.rmSync(LOCK, { force: true });
      continue;
    }
    if (!told) process.stderr.write(`Waiting for the build running in process ${owner}…\n`);
    told = true;
    sleep(250);
  }
  try {
    return fn();
  } finally {
    fs.rmSync(LOCK, { force: true });
  }
}

/** The API (nest build), then the console (vite build) and its size check. */
function nestBuild(args) {
  const bin = path.join(
    ROOT,
    'node_modules',
    '.bin',
    process.platform === 'win32' ? 'nest.cmd' : 'nest',
  );
  const started = Date.now();
  const result = spawnSync(bin, ['build', ...args], {
    cwd: ROOT,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (result.error) throw result.error;
  if (result.status !== 0) return result.status ?? 1;
  // The console (web/ → dist/web), then its first-load budget (scripts/console-budget.js); a
  // tree without web/ builds the API only.
  const consoleSteps = fs.existsSync(path.join(ROOT, 'web', 'vite.config.mts'))
    ? [
        [
          path.join(ROOT, 'node_modules', '.bin', 'vite'),
          ['build', '--config', 'web/vite.config.mts', '--logLevel', 'warn'],
        ],
        [process.execPath, [path.join(ROOT, 'scripts', 'console-budget.js')]],
      ]
    : [];
  for (const [cmd, cmdArgs] of consoleSteps) {
    // Vite builds the mode NODE_ENV names when it is set: under Jest (NODE_ENV=test, a rebuild
    // by the tests' global setup) that was React's development build, 275 KB against 211 KB.
    const env = { ...process.env, NODE_ENV: 'production' };
    const step = spawnSync(cmd, cmdArgs, { cwd: ROOT, stdio: 'inherit', env });
    if (step.error) throw step.error;
    if (step.status !== 0) return step.status ?? 1;
  }
  process.stderr.write(`Built in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
  return 0;
}

/** Builds and records what it built from. A failed build leaves no stamp: the next run retries. */
function build(args, hash = inputsHash()) {
  fs.rmSync(STAMP, { force: true });
  const status = nestBuild(args);
  if (status === 0) fs.writeFileSync(STAMP, `${hash}\n`);
  return status;
}

/** Builds when dist/ does not match the sources (or lacks the entry point); 0 when ready. */
function ensureBuilt(entry) {
  const current = () => readStamp() === inputsHash() && fs.existsSync(entry);
  if (current()) return 0;
  return withBuildLock(() => {
    const hash = inputsHash();
    if (readStamp() === hash && fs.existsSync(entry)) return 0; // built while we waited
    process.stderr.write(
      'The sources changed since the last build: building first (nest build)…\n',
    );
    return build([], hash);
  });
}

function main(argv) {
  const [target, ...args] = argv;
  if (!target) {
    process.stderr.write(
      'Usage: node scripts/launch.js build | built | <built-file.js> [arguments…]\n',
    );
    return 2;
  }
  if (target === 'build') return withBuildLock(() => build(args));
  // `npm test`'s first step: a build CI has just made (or any current one) is used as it is,
  // so nothing rewrites dist/ under processes already running from it (the fault drills).
  if (target === 'built') return ensureBuilt(STAMP);
  const entry = path.resolve(ROOT, target);
  const status = ensureBuilt(entry);
  if (status !== 0) return status;
  // In this process, as `node <entry> …` would run it: no second Node start-up, and signals and
  // the exit code are the entry point's own.
  process.argv = [process.argv[0], entry, ...args];
  require(entry);
  return undefined;
}

if (require.main === module) {
  const status = main(process.argv.slice(2));
  if (status !== undefined) process.exitCode = status;
}

module.exports = { inputsHash };
