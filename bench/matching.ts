/**
 * Matching at scale: claim-next against a large ticket table.
 *
 *   npm run bench:matching                 # 1M tickets (100k open), 100k agents, 35 skills
 *   BENCH_SCALE=0.05 npm run bench:matching # the same shape, 5% of the size (BENCH_SMALL=1 too)
 *
 * Builds its own database (handoff_bench_matching), loads the data with SQL, then measures, in
 * one run: (a) claim-next through the real service (eligibility, ranking, SKIP LOCKED claim,
 * claim row, outbox rows) for agents checked in on live shifts, sequentially (latency) and 16 at
 * a time (throughput); (b) the baseline: the bare one-index claim (`UPDATE … WHERE id = (SELECT …
 * ORDER BY rank, deadline LIMIT 1 FOR UPDATE SKIP LOCKED)`, no eligibility at all). It prints the
 * EXPLAIN of the candidate query and the largest sort it performs.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import pino from 'pino';
import { Client } from 'pg';
import { performance } from 'node:perf_hooks';
import { AppModule } from '../src/app.module';
import { runMigrations } from '../src/bootstrap/prepare-database';
import { validateEnv } from '../src/config/env.validation';
import { pct } from './support';
import { measureSparseReads, seedHistory, SparseShape } from './sparse-reads';
import { CANDIDATES_SQL } from '../src/modules/tickets/ticket-matching.repository';
import { TicketMatchingService } from '../src/modules/tickets/ticket-matching.service';

const SCALE = Number(process.env.BENCH_SCALE ?? (process.env.BENCH_SMALL === '1' ? 0.05 : 1));
const TICKETS = Math.round(1_000_000 * SCALE);
const OPEN_SHARE = 0.1;
const AGENTS = Math.round(100_000 * SCALE);
const COMPANIES = 20;
const LIVE_AGENTS = Math.min(4000, AGENTS);
const SAMPLES = Math.min(2000, Math.floor(LIVE_AGENTS / 2));
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB = 'handoff_bench_matching';
const url = ADMIN_URL.replace(/\/[^/]*$/, `/${DB}`);
const log = pino({ level: 'warn' });

const QUERY_P95_GOAL_MS = 5;
const HISTORY: SparseShape = {
  companies: COMPANIES,
  agents: AGENTS,
  liveAgents: LIVE_AGENTS,
  offersPerAgent: Math.max(10, Math.round(250 * SCALE)),
  days: Math.max(10, Math.round(200 * SCALE)),
};
const LARGEST_SORT_GOAL = 100;

const EXTRA_SKILLS = Array.from({ length: 17 }, (_, i) => `bench_skill_${i + 1}`); // 18 seeded + 17 = 35

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const out = await fn();
  console.log(`  ${label.padEnd(44)} ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return out;
}

async function load(db: Client): Promise<void> {
  const q = (sql: string, params: unknown[] = []) => db.query(sql, params);
  await q(`INSERT INTO skills (code, name) SELECT unnest($1::text[]), 'Bench skill'`, [
    EXTRA_SKILLS,
  ]);
  await q(`SET synchronous_commit = off`);
  await timed(`companies, users, ${AGENTS} agents`, async () => {
    await q(`INSERT INTO companies (id, name)
             SELECT ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, 'Company ' || g
               FROM generate_series(1, ${COMPANIES}) g`);
    await q(`INSERT INTO users (id, email, password_hash, role)
             SELECT ('10000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid,
                    'agent' || g || '@bench.test', 'x', 'agent'
               FROM generate_series(1, ${AGENTS}) g`);
    await q(`INSERT INTO agents (user_id, display_name, languages, max_concurrent_tickets)
             SELECT ('10000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, 'Agent ' || g,
                    CASE WHEN g % 5 = 0 THEN ARRAY['en','es'] WHEN g % 7 = 0 THEN ARRAY['pt','en'] ELSE ARRAY['en'] END,
                    3
               FROM generate_series(1, ${AGENTS}) g`);
    // 5 to 10 skills each (of 35), levels 1-5.
    await q(`INSERT INTO agent_skills (agent_id, skill, level)
             SELECT a.user_id, s.code, 1 + (abs(hashtext(a.user_id::text || s.code)) % 5)
               FROM agents a
               CROSS JOIN LATERAL (
                 SELECT code FROM (SELECT code, row_number() OVER (ORDER BY hashtext(a.user_id::text || code)) AS r FROM skills) x
                  WHERE r <= 5 + abs(hashtext(a.user_id::text)) % 6) s`);
  });
  await timed(`${TICKETS} tickets (${Math.round(TICKETS * OPEN_SHARE)} open)`, async () => {
    await q(`ALTER TABLE tickets DROP CONSTRAINT ck_tickets_claimed`);
    await q(`INSERT INTO tickets (id, company_id, external_id, intake_hash, subject, summary, transcript,
                                  bot_attempts, language, priority, rank, claim_sla_seconds, sla_deadline,
                                  primary_skill, skill_codes, skill_levels, requested_levels,
                                  status, resolved_at, created_at)
             SELECT ('20000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid,
                    ('00000000-0000-4000-8000-' || lpad((1 + g % ${COMPANIES})::text, 12, '0'))::uuid,
                    'ext-' || g, 'x', 'Ticket ' || g, 'summary', '[]', '[]',
                    -- attributes from independent hashes, so no company gets a single language,
                    -- priority or skill
                    CASE WHEN h % 10 < 7 THEN 'en' WHEN h % 10 < 9 THEN 'es' ELSE 'pt' END,
                    (h / 10) % 4, (h / 10) % 4, 900, now() + ((h % 7200) || ' seconds')::interval,
                    skills[1 + (h / 40) % 35],
                    -- a third of the tickets also need the next skill in code order
                    CASE WHEN (h / 14000) % 3 = 0 AND (h / 40) % 35 < 34
                         THEN ARRAY[skills[1 + (h / 40) % 35], skills[2 + (h / 40) % 35]]
                         ELSE ARRAY[skills[1 + (h / 40) % 35]] END,
                    CASE WHEN (h / 14000) % 3 = 0 AND (h / 40) % 35 < 34
                         THEN ARRAY[1 + (h / 42000) % 2, 1]::smallint[]
                         ELSE ARRAY[1 + (h / 42000) % 2]::smallint[] END,
                    CASE WHEN (h / 14000) % 3 = 0 AND (h / 40) % 35 < 34
                         THEN ARRAY[1 + (h / 42000) % 2, 1]::smallint[]
                         ELSE ARRAY[1 + (h / 42000) % 2]::smallint[] END,
                    CASE WHEN (h / 1400) % 10 = 0 THEN 'open' ELSE 'resolved' END,
                    CASE WHEN (h / 1400) % 10 = 0 THEN NULL ELSE now() - interval '1 day' END,
                    now() - ((g % 86400) || ' seconds')::interval
               FROM generate_series(1, ${TICKETS}) g,
                    LATERAL (SELECT abs(hashtext('t' || g)) AS h) hh,
                    (SELECT array_agg(code ORDER BY code) AS skills FROM skills) sk`);
    await q(
      `ALTER TABLE tickets ADD CONSTRAINT ck_tickets_claimed CHECK ((status = 'claimed') = (claimed_by IS NOT NULL))`,
    );
  });
  await timed(`${COMPANIES} live shifts, ${LIVE_AGENTS} agents checked in`, async () => {
    await q(`INSERT INTO shifts (id, company_id, starts_at, ends_at, seats, seats_taken, languages,
                                 rate_amount_minor, rate_currency)
             SELECT ('30000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid,
                    ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid,
                    now() - interval '1 hour', now() + interval '5 hours', 500, 0, '{}', 250, 'EUR'
               FROM generate_series(1, ${COMPANIES}) g`);
    await q(`INSERT INTO shift_claims (shift_id, agent_id, company_id, period, status, check_in_deadline, checked_in_at)
             SELECT ('30000000-0000-4000-8000-' || lpad((1 + g % ${COMPANIES})::text, 12, '0'))::uuid,
                    ('10000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid,
                    ('00000000-0000-4000-8000-' || lpad((1 + g % ${COMPANIES})::text, 12, '0'))::uuid,
                    tstzrange(now() - interval '1 hour', now() + interval '5 hours'), 'checked_in',
                    now(), now()
               FROM generate_series(1, ${LIVE_AGENTS}) g`);
    await q(
      `UPDATE shifts s SET seats_taken = (SELECT count(*) FROM shift_claims c WHERE c.shift_id = s.id)`,
    );
  });
  await timed(
    `history: ${HISTORY.offersPerAgent} past offers per live agent, ${HISTORY.days} days of seats`,
    () => seedHistory(db, HISTORY),
  );
  await timed('VACUUM ANALYZE', () => q('VACUUM ANALYZE'));
  // The load's pages written out now: measured right after it, every read also wrote back the
  // dirty pages it evicted (claim-next three times slower than on the same data settled).
  await timed('CHECKPOINT', () => q('CHECKPOINT'));
}

const BASELINE_SQL = `
  UPDATE tickets SET status = 'claimed', claimed_by = $2 WHERE id = (
    SELECT id FROM tickets WHERE status = 'open' AND company_id = $1 AND language = 'en'
       AND primary_skill = $3
     ORDER BY rank DESC, sla_deadline, created_at LIMIT 1 FOR UPDATE SKIP LOCKED)`;
const SKILL_CODES: string[] = [];
/**
 * The i-th baseline call's company and skill: every (company, skill) pair in turn (i % 20 with
 * i % 35 would reach only 140 of the 700, emptying them at small sizes, where a call that claims
 * nothing is cheaper than the work it stands for).
 */
const company = (i: number) =>
  `00000000-0000-4000-8000-${String(1 + (i % COMPANIES)).padStart(12, '0')}`;
const bucket = (i: number) => SKILL_CODES[Math.floor(i / COMPANIES) % SKILL_CODES.length];

/** Every claim undone: the tickets open again, as loaded. */
async function resetClaims(db: Client): Promise<void> {
  await db.query(`DELETE FROM ticket_claims`);
  await db.query(`DELETE FROM outbox`);
  await db.query(`UPDATE tickets SET status = 'open', claimed_by = NULL, claimed_at = NULL, last_activity_at = NULL
                   WHERE status = 'claimed'`);
  await db.query('VACUUM ANALYZE tickets');
}

async function main(): Promise<void> {
  console.log(
    `matching bench: ${TICKETS} tickets, ${AGENTS} agents, ${COMPANIES} companies, 35 skills`,
  );
  // BENCH_REUSE=1 measures again on the data a previous run loaded (claims are reset).
  const reuse = process.env.BENCH_REUSE === '1';
  if (!reuse) {
    const admin = new Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${DB}`);
    await admin.end();
    await runMigrations(url, log);
  }
  const db = new Client({ connectionString: url });
  await db.connect();
  if (reuse) {
    await timed('reset claims from the previous run', () => resetClaims(db));
  } else {
    await load(db);
  }

  const env = validateEnv({
    DATABASE_URL: url,
    QUEUE_PREFIX: `bench-matching-${process.pid}`,
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret',
    SECRETS_ENCRYPTION_KEY: 'b'.repeat(64), // no start-up here to generate one
    LOG_LEVEL: 'warn',
    DB_POOL_SIZE: '20',
  });
  const app = await NestFactory.createApplicationContext(
    AppModule.register({ env, logger: log, workers: false }),
    { logger: false },
  );
  const matching = app.get(TicketMatchingService);
  // The app's sequencer numbers the load's million ticket.escalated events as it starts, and
  // autovacuum then clears the million row versions that left: measured meanwhile, claim-next
  // ran three times slower than on the same data settled (BENCH_REUSE). Both done first.
  await timed('events numbered, then VACUUM', async () => {
    const unnumbered = async () =>
      Number((await db.query('SELECT count(*) AS n FROM events WHERE position IS NULL')).rows[0].n);
    while ((await unnumbered()) > 0) await new Promise((r) => setTimeout(r, 500));
    await db.query('VACUUM ANALYZE events');
    await db.query('CHECKPOINT');
  });
  // Before any claim: no company has a ticket with an agent, the page's worst case.
  const sparse = await measureSparseReads(app, HISTORY, 200);
  // Then without the past offers, as the claim figures were always measured: resetting the
  // claims checks fk_offers_claim against every offer for each claim deleted.
  await db.query('DELETE FROM offers');
  await db.query('VACUUM ANALYZE offers');
  await db.query('CHECKPOINT');
  SKILL_CODES.push(
    ...(await db.query('SELECT code FROM skills ORDER BY code')).rows.map((r) => r.code),
  );
  const agentId = (g: number) => `10000000-0000-4000-8000-${String(g).padStart(12, '0')}`;
  const actor = (g: number) => ({
    kind: 'user' as const,
    role: 'agent' as const,
    userId: agentId(g),
    companyId: null,
  });

  // EXPLAIN for a typical live agent.
  const sample = 1;
  const [{ languages }] = (
    await db.query('SELECT languages FROM agents WHERE user_id = $1', [agentId(sample)])
  ).rows;
  const skills = (
    await db.query('SELECT skill, level FROM agent_skills WHERE agent_id = $1 ORDER BY skill', [
      agentId(sample),
    ])
  ).rows;
  const companyId = `00000000-0000-4000-8000-${String(1 + (sample % COMPANIES)).padStart(12, '0')}`;
  const plan = (
    await db.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) ${CANDIDATES_SQL}`, [
      companyId,
      agentId(sample),
      languages,
      skills.map((s) => s.skill),
      skills.map((s) => s.level),
      8,
    ])
  ).rows.map((r) => r['QUERY PLAN'] as string);
  console.log('\nEXPLAIN ANALYZE of the candidate query (agent 1):');
  for (const line of plan) console.log(`  ${line}`);
  const sortRows = plan
    .filter((l) => /Sort\b/.test(l) && !/Sort Key|Sort Method/.test(l))
    .map((l) => Number(/actual time=[^ ]+ rows=(\d+)/.exec(l)?.[1] ?? 0));
  const biggestSort = Math.max(0, ...sortRows);

  // The eligible-ticket query alone (the database part that must stay an index walk).
  const queryLat: number[] = [];
  for (let i = 1; i <= Math.min(SAMPLES, 500); i++) {
    const g = LIVE_AGENTS - i + 1;
    const [a] = (await db.query('SELECT languages FROM agents WHERE user_id = $1', [agentId(g)]))
      .rows;
    const ks = (
      await db.query('SELECT skill, level FROM agent_skills WHERE agent_id = $1', [agentId(g)])
    ).rows;
    const t0 = performance.now();
    await db.query(CANDIDATES_SQL, [
      `00000000-0000-4000-8000-${String(1 + (g % COMPANIES)).padStart(12, '0')}`,
      agentId(g),
      a.languages,
      ks.map((s) => s.skill),
      ks.map((s) => s.level),
      8,
    ]);
    queryLat.push(performance.now() - t0);
  }

  // (a) the service, sequential: one claim per agent.
  const latencies: number[] = [];
  let claimed = 0;
  for (let i = 1; i <= SAMPLES; i++) {
    const t0 = performance.now();
    const got = await matching.claimNext(actor(i));
    latencies.push(performance.now() - t0);
    if (got) claimed += 1;
  }
  // (a') the service, 16 at a time.
  const concurrentAgents = Array.from({ length: SAMPLES }, (_, i) => SAMPLES + 1 + i).filter(
    (g) => g <= LIVE_AGENTS,
  );
  let next = 0;
  let concurrentClaimed = 0;
  const tc = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < concurrentAgents.length) {
        if (await matching.claimNext(actor(concurrentAgents[next++]))) concurrentClaimed += 1;
      }
    }),
  );
  const serviceRate = concurrentAgents.length / ((performance.now() - tc) / 1000);

  const [{ doubles }] = (
    await db.query(`SELECT count(*)::int AS doubles FROM (SELECT ticket_id FROM ticket_claims WHERE status = 'active'
                     GROUP BY ticket_id HAVING count(*) > 1) d`)
  ).rows;
  // The baseline starts from the same open tickets as the service did: at small sizes the
  // service's claims empty most buckets, and a claim that finds nothing costs next to nothing.
  await resetClaims(db);

  // (b) baseline: the bare claim down one bucket of the same index (company, language, skill),
  // no eligibility rules at all, same concurrency.
  const pool = Array.from({ length: 16 }, () => new Client({ connectionString: url }));
  await Promise.all(pool.map((c) => c.connect()));
  const baseLat: number[] = [];
  let baseClaimed = 0;
  const baseClaim = async (c: Client, i: number) => {
    const { rowCount } = await c.query(BASELINE_SQL, [
      company(i),
      agentId(1 + (i % LIVE_AGENTS)),
      bucket(i),
    ]);
    baseClaimed += rowCount ?? 0;
  };
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await baseClaim(pool[0], i);
    baseLat.push(performance.now() - t0);
  }
  // The concurrent calls go on from where the sequential ones stopped, on tickets left.
  let bn = SAMPLES;
  const tb = performance.now();
  await Promise.all(
    pool.map(async (c) => {
      while (bn < SAMPLES + concurrentAgents.length) await baseClaim(c, bn++);
    }),
  );
  const baseRate = concurrentAgents.length / ((performance.now() - tb) / 1000);
  await Promise.all(pool.map((c) => c.end()));

  await app.close();
  await db.end();
  // Kept only for a BENCH_REUSE=1 run after this one.
  if (process.env.BENCH_KEEP !== '1') {
    const admin = new Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    await admin.end();
  }

  const row = (name: string, p50: number, p95: number, rate: number) =>
    console.log(
      `  ${name.padEnd(34)} ${p50.toFixed(2).padStart(8)} ${p95.toFixed(2).padStart(8)} ${rate.toFixed(0).padStart(10)}`,
    );
  console.log(
    `\n  ${'claim path'.padEnd(34)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'claims/s'.padStart(10)}`,
  );
  row('claim-next (service, full rules)', pct(latencies, 50), pct(latencies, 95), serviceRate);
  row('baseline (bare one-index claim)', pct(baseLat, 50), pct(baseLat, 95), baseRate);
  row('eligible-ticket query alone', pct(queryLat, 50), pct(queryLat, 95), 0);
  console.log(
    `\n  ${'a few rows among a history'.padEnd(42)} ${'p95 ms'.padStart(8)} ${'dropped'.padStart(8)}`,
  );
  for (const r of sparse) {
    console.log(
      `  ${r.name.padEnd(42)} ${r.withP95.toFixed(2).padStart(8)} ${r.withoutP95.toFixed(2).padStart(8)}`,
    );
  }
  // The goal is for the sparse states (a few rows whatever the history); a company's agents grow
  // with its own history (read by index, no longer every company's), reported without one.
  const states = sparse.filter((r) => r.sparse);
  const sparseWorst = Math.max(...states.map((r) => r.withP95));
  const sparseMet = sparseWorst < QUERY_P95_GOAL_MS;
  const agents = sparse.find((r) => !r.sparse)!;
  // The handbook's targets: the database's part of claim-next (the eligible-ticket query) at
  // p95 < 5 ms, and no large sort in its plan (a top-N of a few dozen rows is the walk's own).
  const queryMet = pct(queryLat, 95) < QUERY_P95_GOAL_MS;
  const sortMet = biggestSort <= LARGEST_SORT_GOAL;
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  console.log(
    `\nRESULT matching: tickets=${TICKETS} open=${Math.round(TICKETS * OPEN_SHARE)} agents=${AGENTS} ` +
      `claimed=${claimed}/${SAMPLES} p50=${pct(latencies, 50).toFixed(2)}ms p95=${pct(latencies, 95).toFixed(2)}ms ` +
      `throughput=${serviceRate.toFixed(0)}/s baseline=${baseRate.toFixed(0)}/s ratio=${(serviceRate / baseRate).toFixed(2)} ` +
      `p95_ratio=${(pct(latencies, 95) / pct(baseLat, 95)).toFixed(2)} query_p95=${pct(queryLat, 95).toFixed(2)}ms ` +
      `(goal < ${QUERY_P95_GOAL_MS} ms: ${verdict(queryMet)}) largest_sort_rows=${biggestSort} ` +
      `(goal ≤ ${LARGEST_SORT_GOAL}: ${verdict(sortMet)}) concurrent_claimed=${concurrentClaimed}/${concurrentAgents.length} ` +
      `baseline_claimed=${baseClaimed}/${SAMPLES + concurrentAgents.length} double_claims=${doubles} ` +
      `sparse_reads_p95=${sparseWorst.toFixed(2)}ms (without their indexes ` +
      `${Math.max(...states.map((r) => r.withoutP95)).toFixed(2)}ms; goal < ${QUERY_P95_GOAL_MS} ms: ` +
      `${verdict(sparseMet)}) company_agents_p95=${agents.withP95.toFixed(2)}ms ` +
      `(without ${agents.withoutP95.toFixed(2)}ms)`,
  );
  if (doubles > 0 || !queryMet || !sortMet || !sparseMet) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
