/*
 * The demo at its smallest documented size (DEMO_TICKETS=20) shows every story and finishes:
 * the built demo (dist/bench/demo/main.js; `npm test` builds it first) runs as a user runs it,
 * with its own instance on a database and queue prefix of its own (so it runs beside the other
 * test files), and what happened is read from its machine-readable summary (DEMO_SUMMARY_JSON),
 * which it reads back through the API. The goal is under 2 minutes; the limit here is generous
 * (a loaded CI machine), and the summary's runtime is in the failure message.
 *
 * DEMO_DIST_DIR points at another build (e.g. one made with
 * `npx tsc -p tsconfig.build.json --outDir /tmp/demo-dist` plus a node_modules link).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import type { DemoSummary } from '../bench/demo/summary-json';
import { adminClient, TEST_PG_URL, TEST_REDIS_URL } from './support/services';
import { dropTestDatabase, RUN_ENV } from './support/test-database';

const DIST = process.env.DEMO_DIST_DIR ?? join(__dirname, '..', 'dist');
const MAIN = join(DIST, 'bench', 'demo', 'main.js');
/** The demo's goal is 2 minutes; past this it is stopped (SIGINT: it cleans up) and fails. */
const LIMIT_MS = 4 * 60_000;

interface Run {
  code: number | null;
  output: string;
  killed: boolean;
}

function runDemo(env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let killed = false;
    proc.stdout.on('data', (d) => (output += d));
    proc.stderr.on('data', (d) => (output += d));
    const stop = setTimeout(() => {
      killed = true;
      proc.kill('SIGINT');
      setTimeout(() => proc.kill('SIGKILL'), 20_000).unref();
    }, LIMIT_MS);
    proc.on('close', (code) => {
      clearTimeout(stop);
      resolve({ code, output, killed });
    });
  });
}

async function databaseExists(name: string): Promise<boolean> {
  const admin = await adminClient();
  try {
    const res = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return res.rowCount === 1;
  } finally {
    await admin.end();
  }
}

async function redisKeys(prefix: string): Promise<string[]> {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    return await redis.keys(`${prefix}:*`);
  } finally {
    redis.disconnect();
  }
}

describe('npm run demo at its smallest size', () => {
  const tag = randomBytes(4).toString('hex');
  // A test database name: the run's global teardown drops it if the demo could not.
  const database = `handoff_test_${process.env[RUN_ENV]}_demo${tag}`;
  const queuePrefix = `test-demo-${tag}`;
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'handoff-demo-'));
  });
  afterAll(async () => {
    await dropTestDatabase(database);
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'shows every story with DEMO_TICKETS=20, exits 0 and leaves no database or queue keys behind',
    async () => {
      if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (npm run build)`);
      const summaryPath = join(dir, 'summary.json');
      const run = await runDemo({
        DEMO_TICKETS: '20',
        DEMO_DATABASE: database,
        DEMO_QUEUE_PREFIX: queuePrefix,
        DEMO_SUMMARY_JSON: summaryPath,
        BENCH_DATABASE_URL: TEST_PG_URL,
        BENCH_REDIS_URL: TEST_REDIS_URL,
      });
      const tail = run.output.slice(-6000);
      if (run.killed) throw new Error(`the demo ran past ${LIMIT_MS / 1000} s:\n${tail}`);
      if (run.code !== 0 || !existsSync(summaryPath)) {
        throw new Error(`the demo exited ${run.code}:\n${tail}`);
      }
      const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as DemoSummary;
      const s = summary.stories;
      // One object, so a failure shows every story at once (and the runtime).
      expect({
        runtime: `${(summary.runtimeMs / 1000).toFixed(1)} s`,
        ok: summary.ok,
        allResolved: summary.resolved === summary.tickets,
        slaBreachAndRelaxation: s.slaBreached > 0 && s.skillsRelaxed > 0,
        handleTimeout: s.handleTimeoutReleases > 0,
        release: s.agentReleases > 0,
        reopenWithClawback: s.reopened > 0 && s.clawbackSeen && s.reopenedResolvedAgain > 0,
        pushDeskOffers: s.offersAccepted > 0 && s.offerDeclined,
        makerCheckerRefusal: s.selfApproval,
        payoutRun: s.payoutRun?.status,
        paidAndHeldLines: (s.payoutRun?.paidLines ?? 0) > 0 && (s.payoutRun?.heldLines ?? 0) > 0,
      }).toEqual({
        runtime: expect.any(String),
        ok: true,
        allResolved: true,
        slaBreachAndRelaxation: true,
        handleTimeout: true,
        release: true,
        reopenWithClawback: true,
        pushDeskOffers: true,
        makerCheckerRefusal: 'FORBIDDEN',
        payoutRun: 'completed',
        paidAndHeldLines: true,
      });
      expect(summary.tickets).toBe(20);
      // The story as printed, beside the numbers read back.
      for (const line of [
        /walks away from it; the handle timeout will give it back/,
        /Handle timeout: \S+ had no activity for a minute/,
        /releases ".+": ".+"/,
        /accepts an offer [\d.]+ s after it came: ".+"/,
        /declines the offer of ".+" \(".+"\); the router offers it to the next agent/,
        /reopens ".+" \(resolved by .+\)/,
        /ledger: earning_reversal -€/,
        /SLA breached: .+ relaxed \w+ 5→4/,
        /tries to approve her own run: 403 FORBIDDEN \(maker-checker\)/,
        /Run completed: [1-9]\d* lines paid .+, 0 failed, [1-9]\d* held/,
      ]) {
        expect(run.output).toMatch(line);
      }
      // It cleaned up after itself.
      expect(await databaseExists(database)).toBe(false);
      expect(await redisKeys(queuePrefix)).toEqual([]);
    },
    LIMIT_MS + 60_000,
  );
});
