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
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { bearer, type HandoffClient, type Schemas, unwrap } from '../src/client/client';
import {
  answerLabel,
  apiClient,
  dropDatabase,
  freshDatabase,
  pct,
  startApi,
  table,
} from './support';

const SMALL = process.env.BENCH_SMALL === '1';
const size = (name: string, full: number, small: number) =>
  Number(process.env[name] ?? (SMALL ? small : full));
const N = size('BENCH_ESCALATIONS', 20_000, 1_000);
const C = size('BENCH_CLIENTS', 64, 16);
const REPLAYS = Math.min(N, size('BENCH_REPLAYS', 2_000, 200));
const CONFLICTS = Math.min(N, size('BENCH_CONFLICTS', 500, 50));
const RACES = size('BENCH_RACES', 200, 20);
const RACERS = 4; // clients sending the same new externalId at once
const WARMUP = 200;
const DB = 'handoff_bench_intake';
const SKILLS = ['refunds', 'billing', 'payments', 'shipping', 'returns', 'technical'];
const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
const SLA_SECONDS = { low: 3600, normal: 900, high: 300, urgent: 120 };

type Escalation = Schemas['CreateEscalationDto'];

/** A realistic escalation (≈1 KB): a short transcript, one or two skills, some metadata. */
function escalation(externalId: string, i: number): Escalation {
  const t = (s: number) => new Date(Date.UTC(2026, 10, 25, 10, 0, s)).toISOString();
  return {
    externalId,
    subject: `Refund not received for order A-${i}`,
    summary: `Customer ${i} was promised a refund 10 days ago; the bot cannot see it in the ledger.`,
    transcript: [
      { role: 'customer', text: 'Where is my refund? It has been ten days.', at: t(0) },
      { role: 'bot', text: 'Let me check that for you.', at: t(5) },
      { role: 'bot', text: 'I cannot find a refund for this order in our system.', at: t(9) },
      { role: 'customer', text: 'I want to talk to a person, please.', at: t(30) },
    ],
    botAttempts: ['Looked up the refund status', 'Checked the payment provider'],
    requiredSkills: [
      { skill: SKILLS[i % SKILLS.length], minLevel: 1 + (i % 3) },
      ...(i % 2 === 0 ? [{ skill: SKILLS[(i + 1) % SKILLS.length], minLevel: 1 }] : []),
    ],
    language: 'en',
    priority: PRIORITIES[i % PRIORITIES.length],
    customerRef: `cust-${i}`,
    metadata: { orderId: `A-${i}`, channel: 'chat', botVersion: '2026.11' },
  };
}

/** Runs `count` calls of `fn`, at most `concurrency` at a time; returns the elapsed seconds. */
async function drive(
  count: number,
  concurrency: number,
  fn: (i: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await fn(next++);
    }),
  );
  return (performance.now() - t0) / 1000;
}

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

/** NODE_OPTIONS for the API process when BENCH_CPU_PROF names a directory for the profile. */
function profileEnv(): Record<string, string> {
  const dir = process.env.BENCH_CPU_PROF;
  if (!dir) return {};
  mkdirSync(dir, { recursive: true });
  const hook = join(dir, 'cpu-profile-hook.js');
  writeFileSync(hook, PROFILE_HOOK);
  return { NODE_OPTIONS: `--require ${hook}` };
}

/** Company sign-up and API key creation, over HTTP as a real customer would do it. */
async function botKey(http: HandoffClient): Promise<{ key: string; companyId: string }> {
  const { accessToken, user } = await unwrap(
    http.POST('/v1/auth/register', {
      body: {
        email: `intake-${process.pid}@bench.test`,
        password: 'correct horse battery staple',
        role: 'company_admin',
        companyName: 'Intake Bench Co',
      },
    }),
  );
  const { key } = await unwrap(
    http.POST('/v1/companies/me/api-keys', {
      headers: bearer(accessToken),
      body: { name: 'bench bot' },
    }),
  );
  return { key, companyId: user.companyId! };
}

interface Phase {
  name: string;
  count: number;
  seconds: number;
  latencies: number[];
  /** CPU milliseconds spent in the API process, the database backends and this process. */
  cpu: { api: number | null; db: number | null; client: number };
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

// On a shared 2-core machine wall-clock rates swing with other people's load; CPU time per
// request does much less, and says where the time goes. Linux /proc only; '-' elsewhere.
const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of a process in ms, or null if it cannot be read. */
function cpuMsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from #3 (state) on
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** The API child process, recognised by the unique QUEUE_PREFIX in its environment. */
function findPid(envEntry: string): number | null {
  try {
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        if (readFileSync(`/proc/${d}/environ`, 'utf8').split('\0').includes(envEntry)) {
          return Number(d);
        }
      } catch {
        // not ours, or gone
      }
    }
  } catch {
    // no /proc
  }
  return null;
}

/** Reads the CPU counters around a phase: the API process and this database's backends. */
class CpuMeter {
  apiPid: number | null = null;

  constructor(private readonly db: Client) {}

  async snapshot() {
    const { rows } = await this.db.query(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    const backends = new Map<number, number | null>(
      rows.map((r: { pid: number }) => [r.pid, cpuMsOf(r.pid)]),
    );
    return {
      api: this.apiPid === null ? null : cpuMsOf(this.apiPid),
      backends,
      client: process.cpuUsage(),
    };
  }

  /** Backends that connected during the phase count from zero. */
  diff(a: Snapshot, b: Snapshot): Phase['cpu'] {
    let db: number | null = 0;
    for (const [pid, ms] of b.backends) {
      if (ms === null || db === null) db = null;
      else db += ms - (a.backends.get(pid) ?? 0)!;
    }
    const client = process.cpuUsage(a.client);
    return {
      api: a.api === null || b.api === null ? null : b.api - a.api,
      db,
      client: (client.user + client.system) / 1000,
    };
  }
}
type Snapshot = Awaited<ReturnType<CpuMeter['snapshot']>>;

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

/** N rows by raw SQL over C connections, for a company of its own. */
async function rawPhase(
  db: Client,
  meter: CpuMeter,
  url: string,
  name: string,
  sql: string,
  label: string,
): Promise<Phase> {
  const { rows } = await db.query(`INSERT INTO companies (name) VALUES ($1) RETURNING id`, [
    `Raw ${label}`,
  ]);
  const params = Array.from({ length: N }, (_, i) =>
    rawParams(rows[0].id, escalation(`${label}-${i}`, i)),
  );
  const pool = Array.from({ length: C }, () => new Client({ connectionString: url }));
  await Promise.all(pool.map((c) => c.connect()));
  const free = [...pool];
  const phase = await measure(meter, name, N, C, async (i, lat) => {
    const c = free.pop()!;
    const s = performance.now();
    await c.query(sql, params[i]);
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
  const [created, , , , same, insert] = phases;
  const rate = (p: Phase) => p.count / p.seconds;
  console.log(
    `\nRESULT intake: n=${N} clients=${C} http=${rate(created).toFixed(0)}/s ` +
      `p50=${pct(created.latencies, 50).toFixed(1)}ms p99=${pct(created.latencies, 99).toFixed(1)}ms ` +
      `raw=${rate(same).toFixed(0)}/s ratio=${(rate(created) / rate(same)).toFixed(2)} ` +
      `raw_insert=${rate(insert).toFixed(0)}/s ratio_insert=${(rate(created) / rate(insert)).toFixed(2)} ` +
      `api_cpu=${perReq(created.cpu.api, created)}ms db_cpu=${perReq(created.cpu.db, created)}ms ` +
      `raw_db_cpu=${perReq(same.cpu.db, same)}ms target=1500/s replays=${REPLAYS} conflicts=${CONFLICTS} races=${RACES} ` +
      `tickets=${counts.tickets} expected=${expected} violations=${load.violations.length}`,
  );
}

// Set while the API runs, so a failure mid-run does not leave it orphaned.
let stopApiOnFailure: (() => Promise<void>) | null = null;

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

  await db.query('VACUUM ANALYZE tickets, outbox');
  phases.push(
    await rawPhase(db, meter, url, 'raw SQL: ticket + outbox, 1 commit', SAME_WORK_SQL, 'raw'),
  );
  phases.push(
    await rawPhase(db, meter, url, 'raw SQL: bare ticket INSERT', TICKET_INSERT, 'insert'),
  );
  await db.end();
  await dropDatabase(DB);

  report(phases, load, counts, expected);
  if (load.violations.length > 0) process.exit(1);
}

main().catch(async (e) => {
  console.error(e);
  await stopApiOnFailure?.();
  process.exit(1);
});
