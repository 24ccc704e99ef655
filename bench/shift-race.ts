/**
 * Shift booking race, over HTTP (POST /v1/shifts/:id/claims), all requests fired at once:
 *   (a) last seat: a shift with S seats (default 5) and A distinct eligible agents (default 200)
 *       → exactly S answers 201, the rest 409 SHIFT_FULL; seats_taken = S, S claim rows.
 *   (b) overlap: one agent claims H different overlapping shifts (default 200, spread over 10
 *       companies) → exactly one 201, the rest 409 SHIFT_OVERLAP; one claim row for the agent,
 *       one seat taken over all H shifts.
 * Each is repeated for ROUNDS fresh shifts (and, for (b), a fresh agent), to get enough
 * samples for latency. Anything other than exactly the allowed number is a hard failure
 * (exit 1), also checked in the database (claims, seats_taken, no-show timers in the outbox).
 *
 * Baseline, same run, API stopped: the same races by raw SQL — the conditional seat UPDATE
 * (seats_taken + 1 WHERE seats_taken < seats), the agent row lock and the claim INSERT in one
 * transaction — over 20
 * connections: that is the API's database pool (DB_POOL_SIZE), i.e. the concurrency PostgreSQL
 * sees behind the 200 HTTP clients; 200 connections would exceed max_connections (100).
 *
 *   npm run bench:shift-race                       # A=200 agents, S=5 seats, H=200 shifts, 5 rounds
 *   BENCH_SMALL=1 npm run bench:shift-race         # 2 rounds
 *   BENCH_AGENTS=100 BENCH_SEATS=1 BENCH_ROUNDS=10 npm run bench:shift-race
 * (ROUNDS ≤ 22: a racer winning every 2 h seat must stay under the 48 h weekly cap.)
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { bearer, type HandoffClient, unwrap } from '../src/client/client';
import {
  answerLabel,
  apiClient,
  dropDatabase,
  freshDatabase,
  pct,
  seedUsers,
  startApi,
  table,
  TokenSigner,
  tokenSigner,
} from './support';

const SMALL = process.env.BENCH_SMALL === '1';
const size = (name: string, full: number, small: number) =>
  Number(process.env[name] ?? (SMALL ? small : full));
const AGENTS = size('BENCH_AGENTS', 200, 200);
const SEATS = size('BENCH_SEATS', 5, 5);
const SHIFTS = size('BENCH_SHIFTS', 200, 200);
const ROUNDS = size('BENCH_ROUNDS', 5, 2);
const COMPANIES = 10;
const RAW_CONNECTIONS = 20;
const WARMUP_CLAIMS = 20;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const DB = 'handoff_bench_shift_race';

/** Everything in the future, on whole hours, far enough that no shift starts during the run. */
const BASE = Math.ceil((Date.now() + 2 * DAY) / HOUR) * HOUR;
// Seat rounds are 2 h long and 3 h apart: a winner of every round stays far under the 48 h
// weekly cap, so only SHIFT_FULL can refuse a seat.
// HTTP rounds take slots 0..ROUNDS-1, the raw baseline the next ROUNDS slots.
const seatShiftStart = (slot: number) => new Date(BASE + slot * 3 * HOUR);
// Overlap rounds: a day each, after every seat slot.
const overlapDay = (round: number) => BASE + 2 * ROUNDS * 3 * HOUR + (1 + round) * DAY;

interface Seed {
  companies: string[];
  racers: string[];
  overlappers: string[];
  rawOverlappers: string[];
}

async function insertAgents(db: Client, ids: string[]): Promise<void> {
  await seedUsers(db, ids, 'agent', { languages: '{en}' });
  await db.query(
    `INSERT INTO agent_skills (agent_id, skill, level) SELECT id, 'refunds', 3 FROM unnest($1::uuid[]) id`,
    [ids],
  );
}

/** Agents and companies by SQL (HTTP sign-up would be argon2-bound and is not what we measure). */
async function seed(db: Client): Promise<Seed> {
  const companies = Array.from({ length: COMPANIES }, () => randomUUID());
  await db.query(
    `INSERT INTO companies (id, name) SELECT id, 'Race Co' FROM unnest($1::uuid[]) id`,
    [companies],
  );
  const s: Seed = {
    companies,
    racers: Array.from({ length: AGENTS }, () => randomUUID()),
    overlappers: Array.from({ length: ROUNDS }, () => randomUUID()),
    rawOverlappers: Array.from({ length: ROUNDS }, () => randomUUID()),
  };
  await insertAgents(db, [...s.racers, ...s.overlappers, ...s.rawOverlappers]);
  return s;
}

/** Shifts requiring refunds ≥ 2 and English, which every seeded agent satisfies. */
async function createShifts(
  db: Client,
  shifts: { company: string; startsAt: Date; hours: number; seats: number }[],
): Promise<string[]> {
  const ids = shifts.map(() => randomUUID());
  await db.query(
    `INSERT INTO shifts (id, company_id, title, starts_at, ends_at, seats, languages,
                         rate_amount_minor, rate_currency)
     SELECT id, company, 'Race shift', starts, starts + make_interval(hours => hours), seats,
            '{en}', 250, 'EUR'
       FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::int[], $5::int[])
            AS s(id, company, starts, hours, seats)`,
    [
      ids,
      shifts.map((s) => s.company),
      shifts.map((s) => s.startsAt),
      shifts.map((s) => s.hours),
      shifts.map((s) => s.seats),
    ],
  );
  await db.query(
    `INSERT INTO shift_required_skills (shift_id, skill, min_level)
     SELECT id, 'refunds', 2 FROM unnest($1::uuid[]) id`,
    [ids],
  );
  return ids;
}

/** The H overlapping shifts of one overlap round: one a minute, 4 h long, over the companies. */
function overlapShifts(db: Client, round: number, companies: string[]): Promise<string[]> {
  return createShifts(
    db,
    Array.from({ length: SHIFTS }, (_, j) => ({
      company: companies[j % companies.length],
      startsAt: new Date(overlapDay(round) + j * 60_000),
      hours: 4,
      seats: 5,
    })),
  );
}

interface Race {
  seconds: number;
  latencies: number[];
  /** Answers by label: "201", "409 SHIFT_FULL", … */
  answers: Map<string, number>;
}

/**
 * One request per keep-alive socket, retried on a reset. Run right before each race: the server
 * closes sockets idle for 5 s (Node's keepAliveTimeout), and a claim sent on a socket the server
 * is closing would fail with ECONNRESET, not with an answer of the API.
 */
async function openSockets(http: HandoffClient, sockets: number): Promise<void> {
  await Promise.all(
    Array.from({ length: sockets }, async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          await http.GET('/health');
          return;
        } catch (e) {
          if (attempt >= 3) throw e;
        }
      }
    }),
  );
}

/** Fires every claim at once and waits for all answers. */
async function race(
  http: HandoffClient,
  claims: { token: string; shift: string }[],
): Promise<Race> {
  await openSockets(http, claims.length);
  const latencies: number[] = [];
  const answers = new Map<string, number>();
  const t0 = performance.now();
  await Promise.all(
    claims.map(async ({ token, shift }) => {
      const s = performance.now();
      const { error, response } = await http.POST('/v1/shifts/{id}/claims', {
        headers: bearer(token),
        params: { path: { id: shift } },
      });
      latencies.push(performance.now() - s);
      const label = answerLabel(response.status, error);
      answers.set(label, (answers.get(label) ?? 0) + 1);
    }),
  );
  return { seconds: (performance.now() - t0) / 1000, latencies, answers };
}

/** Summary of several rounds of one scenario. */
class Scenario {
  readonly latencies: number[] = [];
  readonly answers = new Map<string, number>();
  requests = 0;
  seconds = 0;
  wins = 0;

  add(r: Race, requests: number): void {
    this.latencies.push(...r.latencies);
    for (const [k, n] of r.answers) this.answers.set(k, (this.answers.get(k) ?? 0) + n);
    this.requests += requests;
    this.seconds += r.seconds;
    this.wins += r.answers.get('201') ?? 0;
  }

  rate = () => this.requests / this.seconds;
}

/** Collects hard-rule violations; any one fails the run. */
class Checks {
  readonly violations: string[] = [];

  expect(what: string, actual: number, wanted: number): void {
    if (actual === wanted) return;
    const message = `${what}: ${actual}, want exactly ${wanted}`;
    console.error(`  VIOLATION: ${message}`);
    this.violations.push(message);
  }
}

/** Exactly `wins` answers 201 and every other answer the one allowed 409 code. */
function checkAnswers(
  checks: Checks,
  label: string,
  r: Race,
  n: number,
  wins: number,
  code: string,
) {
  checks.expect(`${label} 201`, r.answers.get('201') ?? 0, wins);
  checks.expect(`${label} 409 ${code}`, r.answers.get(`409 ${code}`) ?? 0, n - wins);
}

async function seatRoundsHttp(
  db: Client,
  http: HandoffClient,
  tokens: string[],
  s: Seed,
  checks: Checks,
) {
  const scenario = new Scenario();
  for (let r = 0; r < ROUNDS; r++) {
    const [shift] = await createShifts(db, [
      { company: s.companies[r % COMPANIES], startsAt: seatShiftStart(r), hours: 2, seats: SEATS },
    ]);
    const result = await race(
      http,
      tokens.map((token) => ({ token, shift })),
    );
    checkAnswers(checks, `seat round ${r}`, result, AGENTS, SEATS, 'SHIFT_FULL');
    const { rows } = await db.query(
      `SELECT s.seats_taken,
              (SELECT count(*) FROM shift_claims c WHERE c.shift_id = s.id AND c.status = 'claimed')::int AS claims,
              (SELECT count(DISTINCT agent_id) FROM shift_claims c WHERE c.shift_id = s.id)::int AS agents
         FROM shifts s WHERE s.id = $1`,
      [shift],
    );
    checks.expect(`seat round ${r} seats_taken`, rows[0].seats_taken, SEATS);
    checks.expect(`seat round ${r} claim rows`, rows[0].claims, SEATS);
    checks.expect(`seat round ${r} agents with a claim`, rows[0].agents, SEATS);
    scenario.add(result, AGENTS);
  }
  return scenario;
}

async function overlapRoundsHttp(
  db: Client,
  http: HandoffClient,
  sign: TokenSigner,
  s: Seed,
  checks: Checks,
) {
  const scenario = new Scenario();
  const shiftsByRound: string[][] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const shifts = await overlapShifts(db, r, s.companies);
    shiftsByRound.push(shifts);
    const agent = s.overlappers[r];
    const token = sign(agent, 'agent');
    const result = await race(
      http,
      shifts.map((shift) => ({ token, shift })),
    );
    checkAnswers(checks, `overlap round ${r}`, result, SHIFTS, 1, 'SHIFT_OVERLAP');
    const { rows } = await db.query(
      `SELECT (SELECT count(*) FROM shift_claims WHERE agent_id = $1)::int AS claims,
              (SELECT sum(seats_taken) FROM shifts WHERE id = ANY($2::uuid[]))::int AS seats`,
      [agent, shifts],
    );
    checks.expect(`overlap round ${r} claim rows of the agent`, rows[0].claims, 1);
    checks.expect(`overlap round ${r} seats taken over all shifts`, rows[0].seats, 1);
    scenario.add(result, SHIFTS);
  }
  return { scenario, shiftsByRound };
}

/**
 * The core of SeatAllocator by raw SQL, nothing else (no eligibility, weekly hours, outbox or
 * views): the conditional seat UPDATE is the guard; the agent row lock serialises one agent's
 * claims as the API does — without it, concurrent inserts into the exclusion constraint wait on
 * each other and end in deadlocks (40P01 after deadlock_timeout each). Returns the answer the
 * API would give.
 */
async function rawClaim(c: Client, shift: string, agent: string): Promise<string> {
  await c.query('BEGIN');
  try {
    const seat = await c.query(
      `UPDATE shifts SET seats_taken = seats_taken + 1, updated_at = now()
        WHERE id = $1 AND status = 'scheduled' AND starts_at > now() AND seats_taken < seats
        RETURNING company_id, starts_at, ends_at, check_in_grace_minutes`,
      [shift],
    );
    if (seat.rowCount === 0) {
      await c.query('ROLLBACK');
      return '409 SHIFT_FULL';
    }
    await c.query('SELECT 1 FROM agents WHERE user_id = $1 FOR NO KEY UPDATE', [agent]);
    const s = seat.rows[0];
    await c.query(
      `INSERT INTO shift_claims (shift_id, agent_id, company_id, period, source, check_in_deadline)
       VALUES ($1, $2, $3, tstzrange($4, $5, '[)'), 'direct', $4 + make_interval(mins => $6))`,
      [shift, agent, s.company_id, s.starts_at, s.ends_at, s.check_in_grace_minutes],
    );
    await c.query('COMMIT');
    return '201';
  } catch (e) {
    await c.query('ROLLBACK');
    const code = (e as { code?: string }).code;
    return code === '23P01' ? '409 SHIFT_OVERLAP' : `error ${code}`;
  }
}

/** The same race by raw SQL over a small pool: labels as the HTTP answers would be. */
async function rawRace(pool: Client[], claims: { agent: string; shift: string }[]): Promise<Race> {
  const latencies: number[] = [];
  const answers = new Map<string, number>();
  const free = [...pool];
  const waiting: ((c: Client) => void)[] = [];
  const take = () =>
    free.length > 0 ? Promise.resolve(free.pop()!) : new Promise<Client>((r) => waiting.push(r));
  const give = (c: Client) => (waiting.length > 0 ? waiting.shift()!(c) : free.push(c));
  const t0 = performance.now();
  await Promise.all(
    claims.map(async ({ agent, shift }) => {
      const s = performance.now(); // queueing for a connection counts, as it does in the API
      const c = await take();
      const label = await rawClaim(c, shift, agent);
      give(c);
      latencies.push(performance.now() - s);
      answers.set(label, (answers.get(label) ?? 0) + 1);
    }),
  );
  return { seconds: (performance.now() - t0) / 1000, latencies, answers };
}

async function rawRounds(
  db: Client,
  url: string,
  s: Seed,
  overlapShifts: string[][],
  checks: Checks,
) {
  const pool = Array.from({ length: RAW_CONNECTIONS }, () => new Client({ connectionString: url }));
  await Promise.all(pool.map((c) => c.connect()));
  const seats = new Scenario();
  const overlap = new Scenario();
  for (let r = 0; r < ROUNDS; r++) {
    // Seat rounds on shifts of their own, after the HTTP ones (no overlap with them).
    const [shift] = await createShifts(db, [
      {
        company: s.companies[r % COMPANIES],
        startsAt: seatShiftStart(ROUNDS + r),
        hours: 2,
        seats: SEATS,
      },
    ]);
    const seatRace = await rawRace(
      pool,
      s.racers.map((agent) => ({ agent, shift })),
    );
    checkAnswers(checks, `raw seat round ${r}`, seatRace, AGENTS, SEATS, 'SHIFT_FULL');
    seats.add(seatRace, AGENTS);
    // Overlap: a fresh agent on the HTTP round's shifts (each has seats to spare).
    const agent = s.rawOverlappers[r];
    const overlapRace = await rawRace(
      pool,
      overlapShifts[r].map((shift) => ({ agent, shift })),
    );
    checkAnswers(checks, `raw overlap round ${r}`, overlapRace, SHIFTS, 1, 'SHIFT_OVERLAP');
    overlap.add(overlapRace, SHIFTS);
  }
  await Promise.all(pool.map((c) => c.end()));
  return { seats, overlap };
}

/** Opens one keep-alive socket per client and runs the claim path once, outside the figures. */
async function warmUp(db: Client, http: HandoffClient, tokens: string[], s: Seed): Promise<void> {
  await openSockets(http, tokens.length);
  const [shift] = await createShifts(db, [
    { company: s.companies[0], startsAt: new Date(BASE - DAY), hours: 2, seats: WARMUP_CLAIMS },
  ]);
  for (const token of tokens.slice(0, WARMUP_CLAIMS)) {
    await unwrap(
      http.POST('/v1/shifts/{id}/claims', {
        headers: bearer(token),
        params: { path: { id: shift } },
      }),
    );
  }
}

const row = (name: string, sc: Scenario) => [
  name,
  sc.requests,
  sc.wins,
  sc.seconds.toFixed(2),
  sc.rate().toFixed(0),
  pct(sc.latencies, 50).toFixed(1),
  pct(sc.latencies, 99).toFixed(1),
];

// Set while the API runs, so a failure mid-run does not leave it orphaned.
let stopApiOnFailure: (() => Promise<void>) | null = null;

async function main() {
  console.log(
    `shift race: ${ROUNDS} rounds of ${AGENTS} agents for ${SEATS} seats, and of 1 agent on ` +
      `${SHIFTS} overlapping shifts`,
  );
  const url = await freshDatabase(DB);
  const db = new Client({ connectionString: url });
  await db.connect();
  const seeded = await seed(db);
  const api = await startApi({
    DATABASE_URL: url,
    WORKERS: 'off',
    DB_POOL_SIZE: String(RAW_CONNECTIONS),
    QUEUE_PREFIX: `bench-shift-race-${process.pid}`,
  });
  stopApiOnFailure = api.stop;
  const sign = tokenSigner();
  const tokens = seeded.racers.map((id) => sign(id, 'agent'));
  const http = apiClient(api.url, Math.max(AGENTS, SHIFTS));
  const checks = new Checks();

  await warmUp(db, http, tokens, seeded);
  const seatHttp = await seatRoundsHttp(db, http, tokens, seeded, checks);
  const { scenario: overlapHttp, shiftsByRound } = await overlapRoundsHttp(
    db,
    http,
    sign,
    seeded,
    checks,
  );
  await api.stop();
  stopApiOnFailure = null;
  // Every committed seat has its no-show timer; no refused claim left one behind.
  const { rows } = await db.query(
    `SELECT count(*)::int AS n FROM outbox WHERE job_name = 'shift-claim.no-show-check'`,
  );
  checks.expect(
    'no-show timers in the outbox',
    rows[0].n,
    WARMUP_CLAIMS + seatHttp.wins + overlapHttp.wins,
  );

  const raw = await rawRounds(db, url, seeded, shiftsByRound, checks);
  await db.end();
  await dropDatabase(DB);

  console.log('');
  table(
    ['race', 'requests', 'won', 'seconds', 'req/s', 'p50 ms', 'p99 ms'],
    [
      row(`HTTP last seat (${AGENTS}→${SEATS})`, seatHttp),
      row(`raw SQL last seat, ${RAW_CONNECTIONS} conns`, raw.seats),
      row(`HTTP overlap (1 agent, ${SHIFTS} shifts)`, overlapHttp),
      row(`raw SQL overlap, ${RAW_CONNECTIONS} conns`, raw.overlap),
    ],
  );
  const answers = (sc: Scenario) =>
    [...sc.answers.entries()].map(([s, n]) => `${s}×${n}`).join(', ');
  console.log(`  HTTP last-seat answers: ${answers(seatHttp)}`);
  console.log(`  HTTP overlap answers:   ${answers(overlapHttp)}`);
  const f = (x: number) => x.toFixed(0);
  console.log(
    `\nRESULT shift-race: rounds=${ROUNDS} agents=${AGENTS} seats=${SEATS} shifts=${SHIFTS} ` +
      `seat_won=${seatHttp.wins}/${ROUNDS * SEATS} seat_http=${f(seatHttp.rate())}/s ` +
      `seat_raw=${f(raw.seats.rate())}/s seat_ratio=${(seatHttp.rate() / raw.seats.rate()).toFixed(2)} ` +
      `seat_p50=${pct(seatHttp.latencies, 50).toFixed(1)}ms seat_p99=${pct(seatHttp.latencies, 99).toFixed(1)}ms ` +
      `overlap_won=${overlapHttp.wins}/${ROUNDS} overlap_http=${f(overlapHttp.rate())}/s ` +
      `overlap_raw=${f(raw.overlap.rate())}/s overlap_ratio=${(overlapHttp.rate() / raw.overlap.rate()).toFixed(2)} ` +
      `overlap_p50=${pct(overlapHttp.latencies, 50).toFixed(1)}ms overlap_p99=${pct(overlapHttp.latencies, 99).toFixed(1)}ms ` +
      `violations=${checks.violations.length}`,
  );
  if (checks.violations.length > 0) process.exit(1);
}

main().catch(async (e) => {
  console.error(e);
  await stopApiOnFailure?.();
  process.exit(1);
});
