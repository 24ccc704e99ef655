/**
 * Bot intake: a company's bot escalates conversations over HTTP with its API key
 * (POST /v1/escalations, idempotent on externalId), C keep-alive clients at a time.
 *
 *   1. new:      N escalations with distinct externalIds       → every one 201
 *   2. replay:   R of them again, byte-for-byte the same body  → 200, the original ticket id
 *   3. conflict: K of them with a different summary            → 409 TICKET_EXTERNAL_ID_CONFLICT
 *                                                                naming the original ticket
 *   4. race:     M new externalIds, each sent by 4 clients at once → one 201, three 200, one id
 * Then the database must hold exactly one ticket and one SLA-timer outbox row per distinct
 * externalId (hard check, exit 1 otherwise).
 *
 * Baselines, same run, same number of rows, same C connections, API stopped: (a) the same
 * durable work by raw SQL — one statement inserting the ticket row (ON CONFLICT DO NOTHING)
 * and its outbox row, one commit; (b) a bare single-row ticket INSERT. `ratio` is HTTP vs (a).
 *
 *   npm run bench:intake                                 # N=20,000, C=64, R=2,000, K=500
 *   BENCH_SMALL=1 npm run bench:intake                   # N=1,000,  C=16
 *   BENCH_ESCALATIONS=5000 BENCH_CLIENTS=32 npm run bench:intake
 *   BENCH_CPU_PROF=/tmp/prof npm run bench:intake        # API writes /tmp/prof/api-<pid>.cpuprofile
 *   BENCH_HEAP_PROF=/tmp/prof npm run bench:intake       # … and api-<pid>.heapprofile: what it
 *                                                          allocated, garbage included
 *   BENCH_LEVERS=0 npm run bench:intake                  # without the levers below
 *
 * Levers (issue 20), same run: after the phases, the API is started again once per variant of
 * its configuration and sends BENCH_LEVER_N new escalations (default N ÷ 4) from C clients, so
 * the table says what each costs per request: as benched (API keys cached, request logs off at
 * LOG_LEVEL=warn), the key read on every request (API_KEY_CACHE_SECONDS=0), request logs on
 * (LOG_LEVEL=info, the default), and pools of 5 and 20 connections (DB_POOL_SIZE, 8 by default).
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { bearer, type HandoffClient } from '../src/client/client';
import { CpuMeter, type CpuSpent, findPid } from './cpu-meter';
import { botKey, drive, escalation, type Escalation, PRIORITIES } from './escalations';
import {
  answerLabel,
  apiClient,
  benchSize,
  dropDatabase,
  freshDatabase,
  pct,
  startApi,
  table,
} from './support';

const size = benchSize;
const N = size('BENCH_ESCALATIONS', 20_000, 1_000);
const C = size('BENCH_CLIENTS', 64, 16);
const REPLAYS = Math.min(N, size('BENCH_REPLAYS', 2_000, 200));
const CONFLICTS = Math.min(N, size('BENCH_CONFLICTS', 500, 50));
const RACES = size('BENCH_RACES', 200, 20);
const RACERS = 4; // clients sending the same new externalId at once
const WARMUP = 200;
const LEVERS = process.env.BENCH_LEVERS !== '0';
const LEVER_N = size('BENCH_LEVER_N', Math.floor(N / 4), Math.floor(N / 2));
const DB = 'handoff_bench_intake';
const SLA_SECONDS = { low: 3600, normal: 900, high: 300, urgent: 120 };

// --cpu-prof is refused in NODE_OPTIONS, --require is not: this hook profiles the API process
// through the inspector and writes the profile when it exits (SIGTERM at the end of the run).
const PROFILE_HOOK = `
const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 1000 });
session.post('Profiler.start');
process.on('exit', () => session.post('Profiler.stop', (err, res) => {
  if (!err) writeFileSync(__dirname + '/api-' + process.pid + '.cpuprofile', JSON.stringify(res.profile));
}));`;

// The same for allocations: V8's sampling heap profiler, told to keep what the GC collected
// too (by default it reports only what is still alive), so the profile says where the garbage
// per request comes from (bench/heap-breakdown.ts).
const HEAP_HOOK = `
const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');
const session = new Session();
session.connect();
session.post('HeapProfiler.enable');
session.post('HeapProfiler.startSampling', {
  samplingInterval: 16384,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
process.on('exit', () => session.post('HeapProfiler.stopSampling', (err, res) => {
  if (!err) writeFileSync(__dirname + '/api-' + process.pid + '.heapprofile', JSON.stringify(res.profile));
}));`;

/**
 * NODE_OPTIONS for the API process when BENCH_CPU_PROF or BENCH_HEAP_PROF names a directory
 * for the profile.
 */
function profileEnv(): Record<string, string> {
  const hooks = [
    { dir: process.env.BENCH_CPU_PROF, file: 'cpu-profile-hook.js', source: PROFILE_HOOK },
    { dir: process.env.BENCH_HEAP_PROF, file: 'heap-profile-hook.js', source: HEAP_HOOK },
  ].flatMap(({ dir, file, source }) => {
    if (!dir) return [];
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, file), source);
    return [`--require ${join(dir, file)}`];
  });
  return hooks.length > 0 ? { NODE_OPTIONS: hooks.join(' ') } : {};
}

interface Phase {
  name: string;
  count: number;
  seconds: number;
  latencies: number[];
  cpu: CpuSpent;
}

const perReq = (ms: number | null, p: Phase) => (ms === null ? '-' : (ms / p.count).toFixed(2));
const phaseRow = (p: Phase) => [
  p.name,
  p.count,
  p.seconds.toFixed(1),
  (p.count / p.seconds).toFixed(0),
  pct(p.latencies, 50).toFixed(1),
  pct(p.latencies, 99).toFixed(1),
  perReq(p.cpu.api, p),
  perReq(p.cpu.db, p),
  perReq(p.cpu.client, p),
];

/** Sends escalations, recording latency, statuses and anything that breaks the contract. */
class IntakeLoad {
  readonly statuses = new Map<string, number>();
  readonly violations: string[] = [];

  private readonly auth: { Authorization: string };

  constructor(
    private readonly http: HandoffClient,
    key: string,
  ) {
    this.auth = bearer(key);
  }

  async send(body: Escalation, latencies: number[]): Promise<Answer> {
    const s = performance.now();
    const { data, error, response } = await this.http.POST('/v1/escalations', {
      headers: this.auth,
      body,
    });
    latencies.push(performance.now() - s);
    const { status } = response;
    const label = answerLabel(status, error);
    this.statuses.set(label, (this.statuses.get(label) ?? 0) + 1);
    const failure = error?.error;
    return {
      status,
      id: data?.id,
      code: failure?.code,
      // TICKET_EXTERNAL_ID_CONFLICT names the ticket that has the externalId.
      ticketId: (failure?.details as { ticketId?: string } | null)?.ticketId,
    };
  }

  violate(message: string): void {
    if (this.violations.length < 20) console.error(`  VIOLATION: ${message}`);
    this.violations.push(message);
  }
}

interface Answer {
  status: number;
  /** The ticket (201, 200). */
  id?: string;
  code?: string;
  ticketId?: string;
}

async function measure(
  meter: CpuMeter,
  name: string,
  count: number,
  concurrency: number,
  fn: (i: number, latencies: number[]) => Promise<void>,
): Promise<Phase> {
  const latencies: number[] = [];
  const before = await meter.snapshot();
  const seconds = await drive(count, concurrency, (i) => fn(i, latencies));
  return { name, count, seconds, latencies, cpu: meter.diff(before, await meter.snapshot()) };
}

/** Phases 1–4 over HTTP; returns the phases and the original ticket id of every externalId. */
async function httpPhases(meter: CpuMeter, load: IntakeLoad, bodies: Escalation[]) {
  const ids: string[] = new Array(N);
  const created = await measure(meter, 'new escalations (201)', N, C, async (i, lat) => {
    const { status, id } = await load.send(bodies[i], lat);
    if (status !== 201 || !id) load.violate(`new #${i}: ${status}`);
    ids[i] = id ?? '';
  });

  // Spread over the whole range, so replays hit old and recent rows alike.
  const pick = (k: number, of: number) => Math.floor((k * N) / of);
  const replay = await measure(meter, 'replay same body (200)', REPLAYS, C, async (k, lat) => {
    const i = pick(k, REPLAYS);
    const { status, id } = await load.send(bodies[i], lat);
    if (status !== 200 || id !== ids[i]) {
      load.violate(`replay #${i}: ${status} id ${id} (original ${ids[i]})`);
    }
  });

  const conflict = await measure(meter, 'same id, new body (409)', CONFLICTS, C, async (k, lat) => {
    const i = pick(k, CONFLICTS);
    const changed = {
      ...bodies[i],
      summary: `${bodies[i].summary} The customer has written again.`,
    };
    const { status, code, ticketId } = await load.send(changed, lat);
    if (status !== 409 || code !== 'TICKET_EXTERNAL_ID_CONFLICT' || ticketId !== ids[i]) {
      load.violate(`conflict #${i}: ${status} ${code}`);
    }
  });

  const race = await measure(meter, `race: ${RACERS} at once per id`, RACES, 1, async (r, lat) => {
    const body = escalation(`race-${r}`, r);
    const answers = await Promise.all(Array.from({ length: RACERS }, () => load.send(body, lat)));
    const firsts = answers.filter((a) => a.status === 201).length;
    const replays = answers.filter((a) => a.status === 200).length;
    const distinct = new Set(answers.map((a) => a.id)).size;
    if (firsts !== 1 || replays !== RACERS - 1 || distinct !== 1) {
      load.violate(`race ${r}: ${answers.map((a) => a.status).join(',')}, ${distinct} ids`);
    }
  });
  race.count *= RACERS; // requests, not externalIds, for the rate column
  return { phases: [created, replay, conflict, race], ids };
}

/** What the database holds for the company: tickets and SLA timers, and duplicates of either. */
async function dbCounts(db: Client, companyId: string) {
  const { rows } = await db.query(
    `SELECT (SELECT count(*) FROM tickets WHERE company_id = $1)::int AS tickets,
            (SELECT count(DISTINCT external_id) FROM tickets WHERE company_id = $1)::int AS distinct_ids,
            (SELECT count(*) FROM outbox o JOIN tickets t ON t.id = (o.payload->>'ticketId')::uuid
              WHERE o.job_name = 'ticket.sla-check' AND t.company_id = $1)::int AS timers`,
    [companyId],
  );
  return rows[0] as { tickets: number; distinct_ids: number; timers: number };
}

/** The row values the API would write for one escalation, computed ahead of the clock. */
function rawParams(companyId: string, e: Escalation): unknown[] {
  const skills = [...e.requiredSkills].sort((a, b) => (a.skill < b.skill ? -1 : 1));
  return [
    companyId,
    e.externalId,
    createHash('sha256').update(JSON.stringify(e)).digest('hex'),
    e.subject,
    e.summary,
    JSON.stringify(e.transcript),
    JSON.stringify(e.botAttempts),
    e.language,
    PRIORITIES.indexOf(e.priority),
    e.customerRef,
    JSON.stringify(e.metadata),
    SLA_SECONDS[e.priority],
    skills[0].skill,
    skills.map((s) => s.skill),
    skills.map((s) => s.minLevel),
  ];
}

const TICKET_INSERT = `
  INSERT INTO tickets (company_id, external_id, intake_hash, subject, summary, transcript,
                       bot_attempts, language, priority, rank, customer_ref, metadata,
                       claim_sla_seconds, sla_deadline, primary_skill, skill_codes,
                       skill_levels, requested_levels)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12::int,
          now() + make_interval(secs => $12::int), $13, $14, $15, $15)`;

// The durable work of one escalation: the ticket (idempotent) and its SLA timer, one commit.
const SAME_WORK_SQL = `
  WITH t AS (${TICKET_INSERT}
    ON CONFLICT ON CONSTRAINT uq_tickets_external_id DO NOTHING RETURNING id, sla_deadline)
  INSERT INTO outbox (job_name, payload, run_at)
  SELECT 'ticket.sla-check', jsonb_build_object('ticketId', id), sla_deadline FROM t`;

/** N rows by raw SQL over C connections (or as many as given), for a company of its own. */
async function rawPhase(
  db: Client,
  meter: CpuMeter,
  url: string,
  name: string,
  sql: string,
  label: string,
  named = false,
  connections = C,
): Promise<Phase> {
  const { rows } = await db.query(`INSERT INTO companies (name) VALUES ($1) RETURNING id`, [
    `Raw ${label}`,
  ]);
  const params = Array.from({ length: N }, (_, i) =>
    rawParams(rows[0].id, escalation(`${label}-${i}`, i)),
  );
  const pool = Array.from({ length: connections }, () => new Client({ connectionString: url }));
  await Promise.all(pool.map((c) => c.connect()));
  const free = [...pool];
  const phase = await measure(meter, name, N, connections, async (i, lat) => {
    const c = free.pop()!;
    const s = performance.now();
    // Named: parsed and planned once per connection, then only bound and executed.
    await c.query(
      named ? { name: label, text: sql, values: params[i] } : { text: sql, values: params[i] },
    );
    lat.push(performance.now() - s);
    free.push(c);
  });
  await Promise.all(pool.map((c) => c.end()));
  return phase;
}

function report(
  phases: Phase[],
  load: IntakeLoad,
  counts: { tickets: number; distinct_ids: number; timers: number },
  expected: number,
) {
  console.log('');
  table(
    [
      'phase',
      'requests',
      'seconds',
      'req/s',
      'p50 ms',
      'p99 ms',
      'CPU ms/req: API',
      'DB',
      'client',
    ],
    phases.map(phaseRow),
  );
  console.log(
    `  HTTP answers: ${[...load.statuses.entries()].map(([s, n]) => `${s}×${n}`).join(', ')}`,
  );
  console.log(
    `  DB: ${counts.tickets} tickets, ${counts.distinct_ids} distinct externalIds, ` +
      `${counts.timers} SLA timers; expected ${expected} of each`,
  );
  const [created, , , , wide, insert, named, narrow] = phases;
  const rate = (p: Phase) => p.count / p.seconds;
  const ms = (x: number | null, p: Phase) => (x === null ? NaN : x / p.count);
  // The database's own rate is its best of the two: C connections (as many as the load's
  // clients), or the API's pool size (fewer backends contend less on two cores).
  const same = rate(narrow) > rate(wide) ? narrow : wide;
  // Issue 20's goals: HTTP at half the raw rate or more, the API's CPU per request at most
  // 0.5 ms, the database's at most 1.3× the raw path's.
  const ratio = rate(created) / rate(same);
  const apiCpu = ms(created.cpu.api, created);
  const dbRatio = ms(created.cpu.db, created) / ms(same.cpu.db, same);
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  goalsMissed = [ratio >= 0.5, apiCpu <= 0.5, dbRatio <= 1.3].filter((ok) => !ok).length;
  console.log(
    `\nRESULT intake: n=${N} clients=${C} http=${rate(created).toFixed(0)}/s ` +
      `p50=${pct(created.latencies, 50).toFixed(1)}ms p99=${pct(created.latencies, 99).toFixed(1)}ms ` +
      `raw=${rate(same).toFixed(0)}/s (best of ${C} and ${API_POOL} connections: ${rate(wide).toFixed(0)}, ${rate(narrow).toFixed(0)}) ratio=${(rate(created) / rate(same)).toFixed(2)} ` +
      `raw_insert=${rate(insert).toFixed(0)}/s ratio_insert=${(rate(created) / rate(insert)).toFixed(2)} ` +
      `api_cpu=${perReq(created.cpu.api, created)}ms db_cpu=${perReq(created.cpu.db, created)}ms ` +
      `raw_db_cpu=${perReq(same.cpu.db, same)}ms raw_prepared_db_cpu=${perReq(named.cpu.db, named)}ms ` +
      `goals: ratio ≥ 0.5 ${verdict(ratio >= 0.5)}, api_cpu ≤ 0.5ms ${verdict(apiCpu <= 0.5)}, ` +
      `db_cpu ≤ 1.3× raw (${dbRatio.toFixed(2)}×) ${verdict(dbRatio <= 1.3)} ` +
      `target=1500/s replays=${REPLAYS} conflicts=${CONFLICTS} races=${RACES} ` +
      `tickets=${counts.tickets} expected=${expected} violations=${load.violations.length}`,
  );
}

let goalsMissed = 0;

/** The API's database pool (DB_POOL_SIZE's default; the phases above start it unset). */
const API_POOL = 8;

// Set while the API runs, so a failure mid-run does not leave it orphaned.
let stopApiOnFailure: (() => Promise<void>) | null = null;

/** The configurations compared, each its own API start (issue 20's levers). */
const VARIANTS: { label: string; env: Record<string, string> }[] = [
  { label: 'as benched (keys cached, logs at warn)', env: {} },
  { label: 'key read per request (cache off)', env: { API_KEY_CACHE_SECONDS: '0' } },
  { label: 'request logs on (LOG_LEVEL=info)', env: { LOG_LEVEL: 'info' } },
  { label: 'pool of 5 connections', env: { DB_POOL_SIZE: '5' } },
  { label: 'pool of 20 connections (the old default)', env: { DB_POOL_SIZE: '20' } },
];

/** One variant: a fresh API with `env`, warmed up, then LEVER_N new escalations. */
async function leverPhase(
  db: Client,
  meter: CpuMeter,
  url: string,
  variant: (typeof VARIANTS)[number],
  run: number,
): Promise<Phase> {
  const prefix = `bench-intake-${process.pid}-${run}`;
  const api = await startApi({
    DATABASE_URL: url,
    WORKERS: 'off',
    QUEUE_PREFIX: prefix,
    ...variant.env,
  });
  stopApiOnFailure = api.stop;
  try {
    meter.apiPid = findPid(`QUEUE_PREFIX=${prefix}`);
    const http = apiClient(api.url, C);
    const { key } = await botKey(http);
    const load = new IntakeLoad(http, key);
    await drive(WARMUP, C, (i) =>
      load.send(escalation(`lw${run}-${i}`, i), []).then(() => undefined),
    );
    const bodies = Array.from({ length: LEVER_N }, (_, i) => escalation(`l${run}-${i}`, i));
    const phase = await measure(meter, variant.label, LEVER_N, C, async (i, lat) => {
      const { status } = await load.send(bodies[i], lat);
      if (status !== 201) load.violate(`${variant.label} #${i}: ${status}`);
    });
    if (load.violations.length > 0) throw new Error(`${variant.label}: ${load.violations[0]}`);
    return phase;
  } finally {
    await api.stop();
    stopApiOnFailure = null;
    meter.apiPid = null;
  }
}

function reportLevers(levers: Phase[]) {
  if (levers.length === 0) return;
  console.log(`\nlevers: ${LEVER_N} new escalations each, ${C} clients, a fresh API per row\n`);
  table(
    ['configuration', 'req/s', 'p50 ms', 'p99 ms', 'CPU ms/req: API', 'DB', 'client'],
    levers.map((p) => phaseRow(p).filter((_, i) => i !== 1 && i !== 2)),
  );
  const [base, ...rest] = levers;
  const api = (p: Phase) => (p.cpu.api ?? NaN) / p.count;
  const db = (p: Phase) => (p.cpu.db ?? NaN) / p.count;
  console.log(
    `\nRESULT intake levers: ` +
      rest
        .map(
          (p, i) =>
            `${['key_read', 'request_logs', 'pool5', 'pool20'][i]}: api_cpu ${api(p) - api(base) >= 0 ? '+' : ''}${(api(p) - api(base)).toFixed(3)}ms db_cpu ${db(p) - db(base) >= 0 ? '+' : ''}${(db(p) - db(base)).toFixed(3)}ms rate ${(p.count / p.seconds / (base.count / base.seconds)).toFixed(2)}×`,
        )
        .join('; '),
  );
}

async function main() {
  console.log(
    `intake: ${N} escalations from ${C} clients; ${REPLAYS} replays, ${CONFLICTS} conflicts, ` +
      `${RACES} races of ${RACERS}`,
  );
  const url = await freshDatabase(DB);
  const db = new Client({ connectionString: url });
  await db.connect();
  const api = await startApi({
    DATABASE_URL: url,
    WORKERS: 'off',
    QUEUE_PREFIX: `bench-intake-${process.pid}`,
    ...profileEnv(),
  });
  stopApiOnFailure = api.stop;
  const meter = new CpuMeter(db);
  meter.apiPid = findPid(`QUEUE_PREFIX=bench-intake-${process.pid}`);
  const http = apiClient(api.url, C * RACERS);
  const { key, companyId } = await botKey(http);
  const load = new IntakeLoad(http, key);

  // Warm-up through the real route, so JIT, pools and sockets are not in the figures.
  await drive(WARMUP, C, (i) => load.send(escalation(`warm-${i}`, i), []).then(() => undefined));
  // Bodies are built before the clock starts: the load generator shares the 2 cores.
  const bodies = Array.from({ length: N }, (_, i) => escalation(`conv-${i}`, i));
  const { phases } = await httpPhases(meter, load, bodies);
  await api.stop();
  stopApiOnFailure = null;
  meter.apiPid = null;
  const counts = await dbCounts(db, companyId);
  const expected = WARMUP + N + RACES;
  if (counts.tickets !== expected || counts.distinct_ids !== expected) {
    load.violate(`tickets ${counts.tickets} (distinct ${counts.distinct_ids}), want ${expected}`);
  }
  if (counts.timers !== expected) load.violate(`SLA timers ${counts.timers}, want ${expected}`);

  const levers: Phase[] = [];
  if (LEVERS) {
    for (const [i, variant] of VARIANTS.entries()) {
      console.log(`  lever: ${variant.label}…`);
      levers.push(await leverPhase(db, meter, url, variant, i));
    }
  }

  await db.query('VACUUM ANALYZE tickets, outbox');
  phases.push(
    await rawPhase(db, meter, url, 'raw SQL: ticket + outbox, 1 commit', SAME_WORK_SQL, 'raw'),
  );
  phases.push(
    await rawPhase(db, meter, url, 'raw SQL: bare ticket INSERT', TICKET_INSERT, 'insert'),
  );
  phases.push(
    await rawPhase(
      db,
      meter,
      url,
      'raw SQL: ticket + outbox, prepared',
      SAME_WORK_SQL,
      'named',
      true,
    ),
  );
  phases.push(
    await rawPhase(
      db,
      meter,
      url,
      `raw SQL: ticket + outbox, 1 commit, ${API_POOL} connections`,
      SAME_WORK_SQL,
      'narrow',
      false,
      API_POOL,
    ),
  );
  await db.end();
  await dropDatabase(DB);

  report(phases, load, counts, expected);
  reportLevers(levers);
  if (load.violations.length > 0 || goalsMissed > 0) process.exit(1);
}

main().catch(async (e) => {
  console.error(e);
  await stopApiOnFailure?.();
  process.exit(1);
});
