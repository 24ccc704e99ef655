#!/usr/bin/env node
'use strict';
/**
 * The console's first-load budget (issue 16): what a browser must fetch before the first page
 * shows (the entry script, the scripts it preloads and the stylesheets index.html names),
 * gzipped, stays under CONSOLE_BUDGET_KB (300 KB). Pages loaded later (React.lazy) do not count.
 * Run by the build after `vite build`; exits 1 over budget, naming every file and its size.
 */
const fs = require('node:fs');
const path = require('node:path');
const { gzipSync } = require('node:zlib');

const DIR = path.resolve(__dirname, '..', 'dist', 'web');
const BUDGET_KB = Number(process.env.CONSOLE_BUDGET_KB ?? 300);

function main() {
  const html = fs.readFileSync(path.join(DIR, 'index.html'), 'utf8');
  const refs = [
    ...html.matchAll(/<script[^>]+src="([^"]+)"/g),
    ...html.matchAll(/<link[^>]+rel="(?:stylesheet|modulepreload)"[^>]+href="([^"]+)"/g),
    ...html.matchAll(/<link[^>]+href="([^"]+)"[^>]+rel="(?:stylesheet|modulepreload)"/g),
  ].map((m) => m[1]);
  const files = [...new Set(refs)].filter((r) => r.startsWith('/'));
  const sizes = files.map((f) => {
    const bytes = fs.readFileSync(path.join(DIR, f.replace(/^\//, '')));
    return { file: f, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  const total = sizes.reduce((n, s) => n + s.gzip, 0);
  const kb = (b) => (b / 1024).toFixed(1);
  for (const s of sizes)
    process.stderr.write(`  console first load: ${s.file} ${kb(s.gzip)} KB gzipped\n`);
  process.stderr.write(`Console first load: ${kb(total)} KB gzipped (budget ${BUDGET_KB} KB)\n`);
  if (files.length === 0) {
    process.stderr.write('console-budget: index.html names no script: is dist/web built?\n');
    return 1;
  }
  return total > BUDGET_KB * 1024 ? 1 : 0;
}

process.exitCode = main();
