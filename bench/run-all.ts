/**
 * `npm run bench`: every benchmark at its small size (BENCH_SMALL=1), one after the other (they
 * would measure each other if run together), then their RESULT lines together. Each one's full
 * size has its own script: `npm run bench:<name>`.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const BENCHES = ['claim-storm', 'matching', 'intake', 'shift-race', 'payout-run', 'webhook-replay'];
/** Each takes a few minutes at its small size: one that hangs fails instead of the whole run. */
const BENCH_TIMEOUT_MS = 30 * 60_000;

/**
 * Runs one benchmark in a process group of its own, so that a timeout (or ^C) kills the API it
 * started with it, not only the benchmark (an API left running would load the next one).
 */
function run(name: string): Promise<{ status: string | number; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(__dirname, `${name}.js`)], {
      env: { ...process.env, BENCH_SMALL: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    });
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone already
      }
    };
    const timer = setTimeout(killGroup, BENCH_TIMEOUT_MS);
    process.once('SIGINT', killGroup);
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      process.stdout.write(d);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      process.removeListener('SIGINT', killGroup);
      resolve({ status: code ?? signal ?? 'unknown', stdout });
    });
  });
}

async function main() {
  const results: string[] = [];
  let failed = 0;
  for (const name of BENCHES) {
    console.log(`\n### ${name} (small)\n`);
    const { status, stdout } = await run(name);
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    results.push(line ?? `RESULT ${name}: FAILED (exit ${status})`);
    if (status !== 0) failed += 1;
  }
  console.log('\n### results\n');
  for (const line of results) console.log(line);
  process.exitCode = failed > 0 ? 1 : 0;
}

void main();
