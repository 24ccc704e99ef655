/**
 * Payout run: N agents (default 50,000), each with an onboarded Stripe account on the fake
 * Stripe and money available in the ledger, paid by one run. Measures, in one run:
 *  (a) drafting the run over HTTP (POST /v1/payout-runs, which answers with every line) and
 *      reading it back (GET /v1/payout-runs/{id}, GET …/lines.csv); target < 10 s each at 50k.
 *      Baseline, same run, just before: the draft's own SQL by a plain client (the run row, the
 *      ledger's balance query, the lines inserted in one statement), rolled back; `draft_ratio`
 *      is its time over the HTTP draft's (1.0 = the API adds nothing to the SQL);
 *  (b) execution: a second finance user approves, the maker executes, and a separate worker
 *      process (dist/src/worker.js, as in production) pays the lines with
 *      STRIPE_RATE_PER_SECOND=R against a fake Stripe that answers 429 beyond R calls/s
 *      (sliding one-second window, as Stripe does). Transfers/s over the steady part (from 5%
 *      to 95% of the transfers made) divided by R is the "fraction of rate" (target ≥ 0.95);
 *      the 429s the fake answered are counted;
 *  (c) correctness (hard: exit 1 on any violation): exactly one Stripe transfer per line and per
 *      destination, every line paid with its transfer's amount, one payout journal entry per
 *      line, every agent's available balance back to zero, the trial balance zero.
 *
 *   npm run bench:payout-run                        # 50,000 agents at R = 100/s (~9 min)
 *   BENCH_SMALL=1 npm run bench:payout-run          # 2,000 agents (< 60 s)
 *   BENCH_AGENTS=10000 BENCH_RATE=25 BENCH_WORKERS=2 npm run bench:payout-run
 *   BENCH_KEEP_DB=1 …                               # keep handoff_bench_payout_run to inspect
 *
 * The fake Stripe runs inside this process: its transfer map is sampled every 100 ms, so the
 * rate is measured where Stripe would see it, not from our own bookkeeping.
 */
import 'reflect-metadata';
import Redis from 'ioredis';
import { ChildProcess, spawn } from 'node:child_process';
// The draft's own statements, as PayoutRunsService.create runs them in its transaction.
import { AVAILABLE_BALANCES_SQL as DRAFT_BALANCES_SQL } from '../src/modules/ledger/journal.repository';
import { DRAFT_LINES_SQL } from '../src/modules/payouts/payout-lines.repository';
import { DRAFT_RUN_SQL } from '../src/modules/payouts/payout-runs.repository';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { bearer, type HandoffClient, unwrap } from '../src/client/client';
import { FakeStripe } from '../src/modules/stripe/fake-stripe.server';
import {
  apiClient,
  dropDatabase,
  freshDatabase,
  JWT_SECRET,
  REDIS_URL,
  seedUsers,
  startApi,
  table,
  tokenSigner,
} from './support';

const SMALL = process.env.BENCH_SMALL === '1';
const AGENTS = Number(process.env.BENCH_AGENTS ?? (SMALL ? 2_000 : 50_000));
/** Stripe's live limit is 100 calls/s, the most STRIPE_RATE_PER_SECOND accepts. */
const RATE = Number(process.env.BENCH_RATE ?? 100);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);
const KEEP_DB = process.env.BENCH_KEEP_DB === '1';
const DB = 'handoff_bench_payout_run';
const CURRENCY = 'EUR';
const DRAFT_TARGET_S = 10;
/** PAYOUT_MINIMUM_MINOR of the API, also used by the raw draft (every seeded balance is above). */
const MINIMUM_MINOR = 1_000;
const RATE_TARGET = 0.95;
const PREFIX = `bench-payout-${process.pid}`;
const STRIPE_SECRETS = { platform: 'whsec_benchplatform', connect: 'whsec_benchconnect' };

interface Seeded {
  agents: string[];
  totalMinor: number;
  maker: string;
  checker: string;
}

/** An account Stripe considers fully onboarded (transfers capability active). */
function onboardedAccount(agentId: string): Record<string, unknown> & { id: string } {
  return {
    id: `acct_${randomBytes(10).toString('hex')}`,
    object: 'account',
    type: 'express',
    metadata: { agentId },
    charges_enabled: true,
    payouts_enabled: true,
    details_submitted: true,
    capabilities: { transfers: 'active' },
    requirements: { currently_due: [], disabled_reason: null },
    created: Math.floor(Date.now() / 1000),
  };
}

/** Agents with payout accounts (enabled, known to us and to the fake) and two finance users. */
async function seedPeople(db: Client, fake: FakeStripe): Promise<Omit<Seeded, 'totalMinor'>> {
  const agents = Array.from({ length: AGENTS }, () => randomUUID());
  const accounts = agents.map((id) => {
    const account = onboardedAccount(id);
    // Straight into the fake's store: 50k account creations over HTTP would only time the fake.
    fake.accounts.set(account.id, account);
    return account.id;
  });
  await seedUsers(db, agents, 'agent');
  await db.query(
    `INSERT INTO payout_accounts (agent_id, stripe_account_id, payouts_enabled, details_submitted)
     SELECT a, s, true, true FROM unnest($1::uuid[], $2::text[]) AS x(a, s)`,
    [agents, accounts],
  );
  const [maker, checker] = [randomUUID(), randomUUID()];
  await seedUsers(db, [maker, checker], 'finance');
  return { agents, maker, checker };
}

/**
 * One balanced adjustment entry per agent (agent_available credited, platform_adjustments
 * debited), as the tests' fund() posts them, in bulk. One transaction: the deferred balance
 * triggers check every entry at commit. One entry per agent, not one entry with 50k lines,
 * because the trigger re-sums the whole entry for each of its lines.
 */
async function fundAgents(db: Client, agents: string[]): Promise<number> {
  const amounts = agents.map((_, i) => 1_000 + ((i * 37) % 9_000));
  await db.query('BEGIN');
  await db.query(
    `INSERT INTO ledger_accounts (code, owner_id, currency) VALUES ('platform_adjustments', NULL, $1)
     ON CONFLICT ON CONSTRAINT uq_ledger_accounts DO NOTHING`,
    [CURRENCY],
  );
  await db.query(
    `INSERT INTO ledger_accounts (code, owner_id, currency)
     SELECT 'agent_available', a, $2 FROM unnest($1::uuid[]) a`,
    [agents, CURRENCY],
  );
  await db.query(
    `CREATE TEMP TABLE bench_fund ON COMMIT DROP AS
     SELECT gen_random_uuid() AS entry_id, f.agent_id, f.amount
       FROM unnest($1::uuid[], $2::bigint[]) AS f(agent_id, amount)`,
    [agents, amounts],
  );
  await db.query(
    `INSERT INTO journal_entries (id, kind, idempotency_key, agent_id, memo)
     SELECT entry_id, 'adjustment', 'bench-fund:' || agent_id, agent_id, 'bench funding'
       FROM bench_fund`,
  );
  await db.query(
    `INSERT INTO journal_lines (entry_id, account_id, amount_minor, currency)
     SELECT f.entry_id, a.id, -f.amount, $1 FROM bench_fund f
       JOIN ledger_accounts a ON a.code = 'agent_available' AND a.owner_id = f.agent_id AND a.currency = $1
     UNION ALL
     SELECT f.entry_id, p.id, f.amount, $1 FROM bench_fund f
      CROSS JOIN (SELECT id FROM ledger_accounts
                   WHERE code = 'platform_adjustments' AND owner_id IS NULL AND currency = $1) p`,
    [CURRENCY],
  );
  await db.query('COMMIT');
  return amounts.reduce((s, a) => s + a, 0);
}

/** The built worker as its own process, waited for until it says it started. */
async function startWorker(
  env: Record<string, string>,
): Promise<{ proc: ChildProcess; tail: () => string; stop: () => Promise<void> }> {
  const proc = spawn(process.execPath, [join(__dirname, '..', 'src', 'worker.js')], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Only the tail is kept: a long run logs every retried transfer.
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-20_000));
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  while (!/Handoff worker started/.test(out)) {
    if (proc.exitCode !== null) throw new Error(`worker exited:\n${out}`);
    if (Date.now() > deadline) throw new Error(`worker did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    proc,
    tail: () => out,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * The draft's own SQL without HTTP, Nest or TypeORM, as the service runs it in one transaction:
 * timed from BEGIN to the last line inserted, then rolled back (the commit is the only work it
 * skips), and the dead rows vacuumed, so the HTTP draft after it meets the same tables.
 */
async function rawDraft(db: Client, maker: string): Promise<{ seconds: number; lines: number }> {
  const t0 = performance.now();
  await db.query('BEGIN');
  const cutoff = new Date();
  const [run] = (await db.query(DRAFT_RUN_SQL, [CURRENCY, cutoff, maker, 'test', MINIMUM_MINOR]))
    .rows;
  const balances: { agent_id: string; current: string; at_cutoff: string }[] = (
    await db.query(DRAFT_BALANCES_SQL, [CURRENCY, cutoff])
  ).rows;
  const inserted = await db.query(DRAFT_LINES_SQL, [
    run.id,
    CURRENCY,
    MINIMUM_MINOR,
    balances.map((b) => b.agent_id),
    balances.map((b) => Number(b.current)),
    balances.map((b) => Number(b.at_cutoff)),
  ]);
  const seconds = (performance.now() - t0) / 1000;
  await db.query('ROLLBACK');
  await db.query('VACUUM ANALYZE payout_runs, payout_lines');
  return { seconds, lines: inserted.rowCount ?? 0 };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

/** Transfers the fake made, sampled every 100 ms: [ms since execute, count]. */
function sampleTransfers(fake: FakeStripe, t0: number) {
  const samples: [number, number][] = [[0, 0]];
  const timer = setInterval(() => samples.push([performance.now() - t0, fake.transfers.size]), 100);
  return {
    samples,
    stop: () => {
      clearInterval(timer);
      samples.push([performance.now() - t0, fake.transfers.size]);
    },
  };
}

/** Rate between the samples where 5% and 95% of the transfers were reached: ramp-up and tail excluded. */
function steadyRate(samples: [number, number][], total: number): number {
  const first = samples.find(([, n]) => n >= total * 0.05);
  const last = samples.find(([, n]) => n >= total * 0.95);
  if (!first || !last || last[0] <= first[0]) return 0;
  return (last[1] - first[1]) / ((last[0] - first[0]) / 1000);
}

const count429 = (fake: FakeStripe) => fake.requests.filter((r) => r.status === 429).length;

/** Waits for the run to finish, printing progress about every 10 s. */
async function waitForRun(
  db: Client,
  fake: FakeStripe,
  runId: string,
  t0: number,
  workers: { proc: ChildProcess; tail: () => string }[],
): Promise<string> {
  const deadline = Date.now() + Math.max(120_000, (4_000 * AGENTS) / RATE);
  let lastPrint = performance.now();
  let lastCount = 0;
  for (;;) {
    const [{ status }] = (await db.query('SELECT status FROM payout_runs WHERE id = $1', [runId]))
      .rows;
    if (status === 'completed' || status === 'completed_with_failures') return status as string;
    const dead = workers.find((w) => w.proc.exitCode !== null);
    if (dead) throw new Error(`a worker exited mid-run:\n${dead.tail()}`);
    if (Date.now() > deadline) throw new Error(`run still ${status} at the deadline`);
    if (performance.now() - lastPrint >= 10_000) {
      const now = performance.now();
      const n = fake.transfers.size;
      const [{ paid }] = (
        await db.query(
          `SELECT count(*)::int AS paid FROM payout_lines WHERE run_id = $1 AND status = 'paid'`,
          [runId],
        )
      ).rows;
      console.log(
        `  t=${((now - t0) / 1000).toFixed(0)}s transfers=${n}/${AGENTS} ` +
          `(${((n - lastCount) / ((now - lastPrint) / 1000)).toFixed(1)}/s) paid=${paid} 429s=${count429(fake)}`,
      );
      lastPrint = now;
      lastCount = n;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

interface Checks {
  transfers: number;
  duplicateTransfers: number;
  duplicateDestinations: number;
  unpaidLines: number;
  mismatchedLines: number;
  payoutEntries: number;
  agentsNotZero: number;
  trialBalance: number;
}

/** Stripe's side: transfers per line and per destination (each agent has exactly one line). */
function stripeSide(fake: FakeStripe) {
  const perLine = new Map<string, number>();
  const perDestination = new Map<string, number>();
  for (const t of fake.transfers.values()) {
    const line = String((t.metadata as { payoutLineId?: string }).payoutLineId);
    perLine.set(line, (perLine.get(line) ?? 0) + 1);
    perDestination.set(String(t.destination), (perDestination.get(String(t.destination)) ?? 0) + 1);
  }
  const extra = (m: Map<string, number>) => [...m.values()].reduce((s, n) => s + n - 1, 0);
  return { duplicateTransfers: extra(perLine), duplicateDestinations: extra(perDestination) };
}

/** Our side against Stripe's, and the ledger: the hard correctness checks. */
async function check(
  db: Client,
  fake: FakeStripe,
  http: HandoffClient,
  token: string,
  runId: string,
): Promise<Checks> {
  const lines: { id: string; status: string; amount: string; tr: string | null; dest: string }[] = (
    await db.query(
      `SELECT id, status, amount_minor AS amount, stripe_transfer_id AS tr, stripe_account_id AS dest
         FROM payout_lines WHERE run_id = $1`,
      [runId],
    )
  ).rows;
  let unpaidLines = AGENTS - lines.length;
  let mismatchedLines = 0;
  for (const l of lines) {
    if (l.status !== 'paid' || !l.tr) {
      unpaidLines += 1;
      continue;
    }
    const t = fake.transfers.get(l.tr);
    const ok =
      t &&
      Number(t.amount) === Number(l.amount) &&
      t.destination === l.dest &&
      (t.metadata as { payoutLineId?: string }).payoutLineId === l.id;
    if (!ok) mismatchedLines += 1;
  }
  const [{ entries }] = (
    await db.query(
      `SELECT count(DISTINCT payout_line_id)::int AS entries FROM journal_entries
        WHERE kind = 'payout' AND payout_line_id IN (SELECT id FROM payout_lines WHERE run_id = $1)`,
      [runId],
    )
  ).rows;
  const [{ payoutEntries }] = (
    await db.query(
      `SELECT count(*)::int AS "payoutEntries" FROM journal_entries WHERE kind = 'payout'`,
    )
  ).rows;
  const [{ notZero }] = (
    await db.query(
      `SELECT count(*)::int AS "notZero" FROM (
         SELECT a.owner_id FROM ledger_accounts a JOIN journal_lines l ON l.account_id = a.id
          WHERE a.code = 'agent_available' GROUP BY a.owner_id HAVING sum(l.amount_minor) <> 0) x`,
    )
  ).rows;
  const trial = await unwrap(http.GET('/v1/ledger/trial-balance', { headers: bearer(token) }));
  return {
    transfers: fake.transfers.size,
    ...stripeSide(fake),
    unpaidLines,
    mismatchedLines,
    // One entry per line, and no payout entry for anything else.
    payoutEntries: entries === payoutEntries ? entries : -payoutEntries,
    agentsNotZero: notZero,
    trialBalance: trial.totals.reduce((s, t) => s + Math.abs(t.balanceMinor), 0),
  };
}

const violations = (c: Checks): string[] =>
  [
    c.transfers !== AGENTS && `transfers=${c.transfers} (expected ${AGENTS})`,
    c.duplicateTransfers !== 0 && `duplicate transfers=${c.duplicateTransfers}`,
    c.duplicateDestinations !== 0 && `duplicate destinations=${c.duplicateDestinations}`,
    c.unpaidLines !== 0 && `unpaid lines=${c.unpaidLines}`,
    c.mismatchedLines !== 0 && `lines not matching their transfer=${c.mismatchedLines}`,
    c.payoutEntries !== AGENTS && `payout entries=${c.payoutEntries} (expected ${AGENTS})`,
    c.agentsNotZero !== 0 && `agents with an available balance left=${c.agentsNotZero}`,
    c.trialBalance !== 0 && `trial balance off by ${c.trialBalance}`,
  ].filter((v): v is string => typeof v === 'string');

/** Removes this run's BullMQ and throttler keys (everything under its QUEUE_PREFIX). */
async function cleanRedis(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  const stream = redis.scanStream({ match: `${prefix}:*`, count: 1000 });
  for await (const keys of stream as AsyncIterable<string[]>) {
    if (keys.length > 0) await redis.unlink(...keys);
  }
  await redis.quit();
}

async function main() {
  console.log(
    `payout run: ${AGENTS} agents, STRIPE_RATE_PER_SECOND=${RATE}, fake Stripe limit ${RATE}/s, ${WORKERS} worker process(es)`,
  );
  const fake = new FakeStripe();
  const stripePort = await fake.start();
  const url = await freshDatabase(DB);
  const db = new Client({ connectionString: url });
  await db.connect();
  const stops: (() => Promise<void>)[] = [];
  try {
    const seedTime = await timed(async () => {
      const people = await seedPeople(db, fake);
      const totalMinor = await fundAgents(db, people.agents);
      await db.query('VACUUM ANALYZE');
      return { ...people, totalMinor };
    });
    const seeded: Seeded = seedTime.value;
    console.log(`  seeded in ${seedTime.seconds.toFixed(1)} s`);

    const env = {
      DATABASE_URL: url,
      QUEUE_PREFIX: PREFIX,
      JWT_SECRET,
      REDIS_URL,
      STRIPE_SECRET_KEY: 'sk_test_bench',
      STRIPE_API_BASE: `http://127.0.0.1:${stripePort}`,
      STRIPE_WEBHOOK_SECRET: STRIPE_SECRETS.platform,
      STRIPE_CONNECT_WEBHOOK_SECRET: STRIPE_SECRETS.connect,
      STRIPE_RATE_PER_SECOND: String(RATE),
      PAYOUT_MINIMUM_MINOR: String(MINIMUM_MINOR),
      OUTBOX_POLL_MS: '100',
    };
    // The API serves HTTP only; the worker process(es) pay, as deployed.
    const api = await startApi({ ...env, WORKERS: 'off' });
    stops.push(api.stop);
    const workers = [];
    for (let i = 0; i < WORKERS; i++) {
      const w = await startWorker({ ...env, LOG_LEVEL: 'info' });
      stops.push(w.stop);
      workers.push(w);
    }
    const sign = tokenSigner();
    const [maker, checker] = [sign(seeded.maker, 'finance'), sign(seeded.checker, 'finance')];
    const http = apiClient(api.url, 4);
    for (let i = 0; i < 10; i++) await http.GET('/health');

    // (a) Draft and preview, after the baseline: the same draft by raw SQL, rolled back.
    const raw = await rawDraft(db, seeded.maker);
    if (raw.lines !== AGENTS) throw new Error(`raw draft made ${raw.lines} lines, not ${AGENTS}`);
    const asMaker = { headers: bearer(maker) };
    const draft = await timed(() =>
      unwrap(http.POST('/v1/payout-runs', { ...asMaker, body: { currency: CURRENCY } })),
    );
    const run = draft.value;
    const byId = { ...asMaker, params: { path: { id: run.id } } };
    if (run.totals.payableLines !== AGENTS || run.totals.payableMinor !== seeded.totalMinor) {
      throw new Error(`draft totals ${JSON.stringify(run.totals)}, expected ${AGENTS} lines`);
    }
    // Timed as the API answers them: the client leaves the run's lines unparsed.
    const read = await timed(() =>
      unwrap(http.GET('/v1/payout-runs/{id}', { ...byId, parseAs: 'text' })),
    );
    const csv = await timed(() =>
      unwrap(http.GET('/v1/payout-runs/{id}/lines.csv', { ...byId, parseAs: 'text' })),
    );
    // What the console reads (and re-reads every 1.5 s while the run pays): the run without its
    // lines, and the first page of 50.
    const readLean = await timed(() =>
      unwrap(
        http.GET('/v1/payout-runs/{id}', {
          ...asMaker,
          params: { path: { id: run.id }, query: { lines: 'none' } },
          parseAs: 'text',
        }),
      ),
    );
    const readPage = await timed(() =>
      unwrap(
        http.GET('/v1/payout-runs/{id}/lines', {
          ...asMaker,
          params: { path: { id: run.id }, query: { limit: 50 } },
          parseAs: 'text',
        }),
      ),
    );

    // (b) Approve (the other finance user), execute, wait.
    const approve = await timed(() =>
      unwrap(
        http.POST('/v1/payout-runs/{id}/approve', {
          headers: bearer(checker),
          params: byId.params,
        }),
      ),
    );
    fake.rateLimitPerSecond = RATE;
    const t0 = performance.now();
    const sampler = sampleTransfers(fake, t0);
    const execute = await timed(() => unwrap(http.POST('/v1/payout-runs/{id}/execute', byId)));
    const status = await waitForRun(db, fake, run.id, t0, workers);
    sampler.stop();
    const lastTransferMs = sampler.samples.find(([, n]) => n >= fake.transfers.size)![0];
    const overall = fake.transfers.size / (lastTransferMs / 1000);
    const steady = steadyRate(sampler.samples, AGENTS);
    const rejected = count429(fake);
    const replays = fake.requests.filter((r) => r.status === 299).length;
    const lookups = fake.requests.filter((r) => r.method === 'GET' && r.path === '/v1/transfers');

    // (c) Correctness.
    const checks = await check(db, fake, http, maker, run.id);
    const bad = violations(checks);

    console.log('');
    table(
      ['step', 'seconds', 'vs target'],
      [
        ['seed (SQL, not a target)', seedTime.seconds.toFixed(1), ''],
        [`draft, raw SQL baseline (${AGENTS} lines, rolled back)`, raw.seconds.toFixed(2), ''],
        [
          `draft: POST /v1/payout-runs (${AGENTS} lines)`,
          draft.seconds.toFixed(2),
          `< ${DRAFT_TARGET_S} s; raw/HTTP ${(raw.seconds / draft.seconds).toFixed(2)}`,
        ],
        ['preview: GET /v1/payout-runs/{id}', read.seconds.toFixed(2), `< ${DRAFT_TARGET_S} s`],
        ['preview: GET …/lines.csv', csv.seconds.toFixed(2), `< ${DRAFT_TARGET_S} s`],
        ['console: GET /v1/payout-runs/{id}?lines=none', readLean.seconds.toFixed(3), ''],
        ['console: GET …/lines?limit=50 (first page)', readPage.seconds.toFixed(3), ''],
        ['approve', approve.seconds.toFixed(2), ''],
        ['execute (202, enqueues every line)', execute.seconds.toFixed(2), ''],
        [
          `execution to last transfer (${status})`,
          (lastTransferMs / 1000).toFixed(1),
          `≥ ${(AGENTS / RATE).toFixed(0)} s at R`,
        ],
      ],
    );
    console.log('');
    table(
      ['execution', 'value'],
      [
        ['configured rate R (transfers/s)', RATE],
        ['steady rate, 5%→95% (transfers/s)', steady.toFixed(1)],
        ['fraction of rate (steady / R)', (steady / RATE).toFixed(3)],
        ['overall rate, execute→last (transfers/s)', overall.toFixed(1)],
        ['429s answered by the fake', rejected],
        ['idempotent replays (same key again)', replays],
        ['transfer list lookups (GET /v1/transfers)', lookups.length],
      ],
    );
    console.log('');
    table(
      ['correctness', 'value', 'expected'],
      [
        ['transfers made', checks.transfers, AGENTS],
        ['duplicate transfers (per line)', checks.duplicateTransfers, 0],
        ['duplicate transfers (per destination)', checks.duplicateDestinations, 0],
        ['lines not paid', checks.unpaidLines, 0],
        ['paid lines not matching their transfer', checks.mismatchedLines, 0],
        ['payout journal entries', checks.payoutEntries, AGENTS],
        ['agents with available balance left', checks.agentsNotZero, 0],
        ['trial balance |sum| (minor units)', checks.trialBalance, 0],
      ],
    );
    if (bad.length > 0) console.log(`\n  VIOLATIONS: ${bad.join('; ')}`);
    // The handbook's targets, beside correctness: ledger and preview under 10 s, and the
    // configured Stripe rate held within 95 %.
    const missed = [
      draft.seconds < DRAFT_TARGET_S ? null : 'draft',
      read.seconds < DRAFT_TARGET_S ? null : 'preview',
      csv.seconds < DRAFT_TARGET_S ? null : 'csv',
      steady / RATE >= RATE_TARGET ? null : 'rate',
    ].filter((m): m is string => m !== null);
    console.log(
      `\nRESULT payout-run: agents=${AGENTS} draft=${draft.seconds.toFixed(2)}s read=${read.seconds.toFixed(2)}s ` +
        `read_lean=${(readLean.seconds * 1000).toFixed(0)}ms read_page=${(readPage.seconds * 1000).toFixed(0)}ms ` +
        `draft_raw=${raw.seconds.toFixed(2)}s draft_ratio=${(raw.seconds / draft.seconds).toFixed(2)} ` +
        `draft_vs_target=${(draft.seconds / DRAFT_TARGET_S).toFixed(2)} rate_target=${RATE}/s steady=${steady.toFixed(1)}/s ` +
        `fraction_of_rate=${(steady / RATE).toFixed(3)} (target>=${RATE_TARGET}) overall=${overall.toFixed(1)}/s ` +
        `http_429=${rejected} lookups=${lookups.length} transfers=${checks.transfers} duplicates=${checks.duplicateTransfers} ` +
        `unpaid=${checks.unpaidLines} mismatched=${checks.mismatchedLines} trial_balance=${checks.trialBalance} ` +
        `violations=${bad.length} goals=${missed.length === 0 ? 'met' : `MISSED (${missed.join(', ')})`}`,
    );
    if (bad.length > 0 || missed.length > 0) process.exitCode = 1;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await db.end();
    await fake.stop();
    if (!KEEP_DB) await dropDatabase(DB);
    await cleanRedis(PREFIX);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
