#!/usr/bin/env node
'use strict';
/**
 * `npm run start:dev`: the API rebuilt and restarted on change (nest start --watch, on PORT or
 * 3000) and the console from Vite's dev server (http://localhost:5173, which proxies /v1, /docs
 * and /health to the API), in one command. Ctrl-C stops both; if one exits, the other is stopped.
 */
const { spawn } = require('node:child_process');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const bin = (name) => path.join(ROOT, 'node_modules', '.bin', name);
const children = [
  spawn(bin('nest'), ['start', '--watch'], { cwd: ROOT, stdio: 'inherit' }),
  spawn(bin('vite'), ['--config', 'web/vite.config.mts'], { cwd: ROOT, stdio: 'inherit' }),
];

let stopping = false;
function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  process.exitCode = code;
}
for (const child of children) child.on('exit', (code) => stop(code ?? 1));
process.on('SIGINT', () => stop(130));
process.on('SIGTERM', () => stop(143));
