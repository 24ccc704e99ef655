/**
 * `npm run bench`: every benchmark at its small size (BENCH_SMALL=1), one after the other (they
 * would measure each other if run together), then their RESULT lines together. Each one's full
 * size has its own script: `npm run bench:<name>`.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const BENCHES = ['claim-storm', 'matching', 'intake', 'shift-race', 'payout-run', 'webhook-replay'];

const BENCH_TIMEOUT_MS = 30 * 60_000;

const results: string[] = [];
let failed = 0;
for (const name of BENCHES) {
  console.log(`\n### ${name} (small)\n`);
  const run = spawnSync(process.execPath, [join(__dirname, `${name}.js`)], {
    env: { ...process.env, BENCH_SMALL: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    // Each takes a few minutes at its small size: one that hangs fails instead of the whole run.
    timeout: BENCH_TIMEOUT_MS,
    killSignal: 'SIGKILL',
  });
  process.stdout.write(run.stdout ?? '');
  const line = (run.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
  results.push(line ?? `RESULT ${name}: FAILED (exit ${run.status ?? run.signal})`);
  if (run.status !== 0) failed += 1;
}
console.log('\n### results\n');
for (const line of results) console.log(line);
process.exitCode = failed > 0 ? 1 : 0;
