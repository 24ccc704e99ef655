/**
 * Claim storm: N agents (default 500) on a live shift call claim-next over HTTP, all at once,
 * until each is at its concurrent-ticket limit, against 10,000 open tickets. Then, from the same
 * open tickets, the same number of claims over HTTP with 16 in flight (one claim's latency
 * without the queueing of 500 simultaneous callers), and by raw SQL (SKIP LOCKED claim + claim
 * row, 16 connections) as the baseline, all in the same run.
 *
 *   npm run bench:claim-storm                  # 500 agents, 10,000 tickets
 *   BENCH_AGENTS=100 npm run bench:claim-storm
 *   BENCH_SMALL=1 npm run bench:claim-storm    # 100 agents, 2,000 tickets
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { bearer, type HandoffClient } from '../src/client/client';
import {
  apiClient,
  dropDatabase,
  freshDatabase,
  pct,
  seedUsers,
  startApi,
  table,
  tokenSigner,
} from './support';

const SMALL = process.env.BENCH_SMALL === '1';
const AGENTS = Number(process.env.BENCH_AGENTS ?? (SMALL ? 100 : 500));
const TICKETS = Number(process.env.BENCH_TICKETS ?? (SMALL ? 2_000 : 10_000));
const LIMIT = 10; // max_concurrent_tickets: each agent claims up to this many
const DB = 'handoff_bench_claim_storm';
const BASELINE_CLIENTS = 16;

const claimNext = (http: HandoffClient, token: string) =>
  http.POST('/v1/agents/me/tickets/claim-next', { headers: bearer(token) });

/** Every claim undone, so the next phase starts from the same 10,000 open tickets. */
async function reset(db: Client): Promise<void> {
  await db.query(`DELETE FROM ticket_claims`);
  await db.query(`DELETE FROM outbox`);
  await db.query(
    `UPDATE tickets SET status = 'open', claimed_by = NULL, claimed_at = NULL,
            last_activity_at = NULL WHERE status = 'claimed'`,
  );
  await db.query('VACUUM ANALYZE tickets, ticket_claims, outbox');
}

async function seed(db: Client) {
  const company = randomUUID();
  const shift = randomUUID();
  await db.query(`INSERT INTO companies (id, name) VALUES ($1, 'Storm Co')`, [company]);
  await db.query(
    `INSERT INTO shifts (id, company_id, starts_at, ends_at, seats, seats_taken, languages, rate_amount_minor, rate_currency)
     VALUES ($1, $2, now() - interval '1 hour', now() + interval '5 hours', 500, $3, '{en}', 250, 'EUR')`,
    [shift, company, Math.min(AGENTS, 500)],
  );
  const agents: string[] = Array.from({ length: AGENTS }, () => randomUUID());
  await seedUsers(db, agents, 'agent', { languages: '{en}', max_concurrent_tickets: LIMIT });
  await db.query(
    `INSERT INTO agent_skills (agent_id, skill, level) SELECT id, 'refunds', 3 FROM unnest($1::uuid[]) id`,
    [agents],
  );
  // Seats cannot exceed 500 per shift; more agents get more shifts of the same company.
  for (let i = 0; i < agents.length; i += 500) {
    const s = i === 0 ? shift : randomUUID();
    if (i > 0) {
      await db.query(
        `INSERT INTO shifts (id, company_id, starts_at, ends_at, seats, seats_taken, languages, rate_amount_minor, rate_currency)
         VALUES ($1, $2, now() - interval '1 hour', now() + interval '5 hours', 500, $3, '{en}', 250, 'EUR')`,
        [s, company, Math.min(500, agents.length - i)],
      );
    }
    await db.query(
      `INSERT INTO shift_claims (shift_id, agent_id, company_id, period, status, check_in_deadline, checked_in_at)
       SELECT $1, id, $2, tstzrange(now() - interval '1 hour', now() + interval '5 hours'), 'checked_in', now(), now()
         FROM unnest($3::uuid[]) id`,
      [s, company, agents.slice(i, i + 500)],
    );
  }
  await db.query(
    `INSERT INTO tickets (company_id, external_id, intake_hash, subject, summary, transcript, bot_attempts,
                          language, priority, rank, claim_sla_seconds, sla_deadline, primary_skill,
                          skill_codes, skill_levels, requested_levels)
     SELECT $1, 'storm-' || g, 'x', 'Ticket ' || g, 'summary', '[]', '[]', 'en', g % 4, g % 4, 900,
            now() + (g || ' seconds')::interval, 'refunds', '{refunds}', '{1}', '{1}'
       FROM generate_series(1, $2) g`,
    [company, TICKETS],
  );
  await db.query('VACUUM ANALYZE');
  return { company, shift, agents };
}

async function main() {
  console.log(`claim storm: ${AGENTS} agents, ${TICKETS} open tickets, limit ${LIMIT} each`);
  const url = await freshDatabase(DB);
  const db = new Client({ connectionString: url });
  await db.connect();
  const { company, shift, agents } = await seed(db);
  const api = await startApi({
    DATABASE_URL: url,
    WORKERS: 'off',
    DB_POOL_SIZE: '20',
    QUEUE_PREFIX: `bench-storm-${process.pid}`,
  });
  const sign = tokenSigner();
  const tokens = agents.map((id) => sign(id, 'agent'));
  const http = apiClient(api.url, AGENTS);

  // Warm-up: a few calls so JIT and pools are not in the figures.
  for (let i = 0; i < 20; i++) await http.GET('/health');

  // 1. The storm: every agent at once, each claiming until the API says it is at capacity.
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let claimed = 0;
  const t0 = performance.now();
  await Promise.all(
    tokens.map(async (token) => {
      for (;;) {
        const s = performance.now();
        const { status } = (await claimNext(http, token)).response;
        latencies.push(performance.now() - s);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status !== 200) break;
        claimed += 1;
      }
    }),
  );
  const httpSeconds = (performance.now() - t0) / 1000;
  const [{ doubles }] = (
    await db.query(
      `SELECT count(*)::int AS doubles FROM (SELECT ticket_id FROM ticket_claims WHERE status = 'active' GROUP BY ticket_id HAVING count(*) > 1) d`,
    )
  ).rows;
  const [{ over }] = (
    await db.query(
      `SELECT count(*)::int AS over FROM (SELECT agent_id FROM ticket_claims WHERE status = 'active' GROUP BY agent_id HAVING count(*) > $1) o`,
      [LIMIT],
    )
  ).rows;

  // 2. The same claims over HTTP with as many in flight as the baseline has connections: the
  // latency of one claim, without the queueing that 500 simultaneous callers add.
  await reset(db);
  const paced: number[] = [];
  let pacedDone = 0;
  const t2 = performance.now();
  await Promise.all(
    Array.from({ length: BASELINE_CLIENTS }, async () => {
      // Agents in turn, so none goes past its limit: claimed <= agents x LIMIT.
      while (pacedDone < claimed) {
        const k = pacedDone++;
        const s = performance.now();
        const res = await claimNext(http, tokens[k % tokens.length]);
        paced.push(performance.now() - s);
        if (res.response.status !== 200) {
          throw new Error(
            `paced claim answered ${res.response.status}: ${JSON.stringify(res.error)}`,
          );
        }
      }
    }),
  );
  const pacedSeconds = (performance.now() - t2) / 1000;
  await api.stop();

  // 3. Baseline: the same number of claims by raw SQL, 16 connections, on a reset table.
  await reset(db);
  const pool = Array.from(
    { length: BASELINE_CLIENTS },
    () => new Client({ connectionString: url }),
  );
  await Promise.all(pool.map((c) => c.connect()));
  const rawLatencies: number[] = [];
  let rawDone = 0;
  const t1 = performance.now();
  await Promise.all(
    pool.map(async (c, ci) => {
      while (rawDone < claimed) {
        rawDone += 1;
        const agent = agents[(rawDone + ci) % agents.length];
        const s = performance.now();
        await c.query(
          `WITH t AS (
             SELECT id FROM tickets WHERE status = 'open' AND company_id = $1 AND language = 'en'
                AND primary_skill = 'refunds'
              ORDER BY rank DESC, sla_deadline, created_at LIMIT 1 FOR UPDATE SKIP LOCKED),
           u AS (
             UPDATE tickets SET status = 'claimed', claimed_by = $2, claimed_at = now()
               FROM t WHERE tickets.id = t.id RETURNING tickets.id)
           INSERT INTO ticket_claims (ticket_id, agent_id, company_id, shift_id)
           SELECT id, $2, $1, $3 FROM u`,
          [company, agent, shift],
        );
        rawLatencies.push(performance.now() - s);
      }
    }),
  );
  const rawSeconds = (performance.now() - t1) / 1000;
  await Promise.all(pool.map((c) => c.end()));
  await db.end();
  await dropDatabase(DB);

  const httpRate = claimed / httpSeconds;
  const rawRate = claimed / rawSeconds;
  console.log('');
  table(
    ['path', 'claims', 'seconds', 'claims/s', 'p50 ms', 'p99 ms'],
    [
      [
        `HTTP claim-next, ${AGENTS} agents at once`,
        claimed,
        httpSeconds.toFixed(1),
        httpRate.toFixed(0),
        pct(latencies, 50).toFixed(1),
        pct(latencies, 99).toFixed(1),
      ],
      [
        `HTTP claim-next, ${BASELINE_CLIENTS} in flight`,
        claimed,
        pacedSeconds.toFixed(1),
        (claimed / pacedSeconds).toFixed(0),
        pct(paced, 50).toFixed(1),
        pct(paced, 99).toFixed(1),
      ],
      [
        `raw SQL claim, ${BASELINE_CLIENTS} connections`,
        claimed,
        rawSeconds.toFixed(1),
        rawRate.toFixed(0),
        pct(rawLatencies, 50).toFixed(1),
        pct(rawLatencies, 99).toFixed(1),
      ],
    ],
  );
  console.log(`  HTTP answers: ${[...statuses.entries()].map(([s, n]) => `${s}×${n}`).join(', ')}`);
  console.log(
    `\nRESULT claim-storm: agents=${AGENTS} tickets=${TICKETS} claimed=${claimed} http=${httpRate.toFixed(0)}/s ` +
      `raw=${rawRate.toFixed(0)}/s ratio=${(httpRate / rawRate).toFixed(2)} p50=${pct(latencies, 50).toFixed(1)}ms ` +
      `p99=${pct(latencies, 99).toFixed(1)}ms p99_at_${BASELINE_CLIENTS}=${pct(paced, 99).toFixed(1)}ms ` +
      `double_claims=${doubles} over_limit=${over}`,
  );
  if (doubles > 0 || over > 0) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
