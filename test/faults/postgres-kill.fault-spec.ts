import pino from 'pino';
import { Client } from 'pg';
import { createApiKey, registerCompany, SignedIn } from '../support/factories';
import { waitFor } from '../support/wait-for';
import { adminClient } from '../support/services';
import { escalationBody, insertTickets, liveAgents } from '../support/tickets';
import { createTestApp, TestApp } from '../support/test-app';

/*
 * Every PostgreSQL connection of the test database is terminated (pg_terminate_backend, as a
 * failover or an operator would) every 150 ms while a stream of concurrent requests runs:
 * intakes, claim-next + resolve, reads. Requests that hit a dead connection must answer 503
 * in the error shape (never 500), nothing is half written, and the API recovers by itself.
 */

const CLIENTS = 8;
const STORM_MS = 3000;
/**
 * The storm goes on past STORM_MS until it has done enough to prove something (requests
 * answered, connections killed): on a loaded machine (CI runs the browser journeys beside the
 * drills) 3 s may hold too few requests. A count, not a rate, is what the drill asserts.
 */
const ENOUGH_OUTCOMES = 60;
const ENOUGH_KILLS = 25;
const STORM_CEILING_MS = 40_000;
const KILL_EVERY_MS = 150;

type Op = 'intake' | 'claim-next' | 'resolve' | 'read';
interface Outcome {
  op: Op;
  status: number;
  body: { error?: { code?: string; message?: string; requestId?: string } };
  externalId?: string;
}

describe('PostgreSQL connections killed mid-request', () => {
  let t: TestApp;
  let co: SignedIn;
  let key: string;
  let agents: SignedIn[];
  const logLines: string[] = [];
  const outcomes: Outcome[] = [];
  const intakes = new Map<string, Record<string, unknown>>();
  let killed = 0;

  beforeAll(async () => {
    // Errors the filter could not map are logged: keep them to name what the driver threw.
    const logger = pino({ level: 'error' }, { write: (line: string) => logLines.push(line) });
    t = await createTestApp({ workers: true, logger, env: { OUTBOX_POLL_MS: '100' } });
    co = await registerCompany(t, 'PG drill');
    key = await createApiKey(t, co);
    try {
      ({ agents } = await liveAgents(t, co.auth, CLIENTS, { maxConcurrentTickets: 10 }));
    } catch (e) {
      // Nothing is killed yet: show what the app logged (seen once: a 500 on PUT skills).
      throw new Error(`${(e as Error).message}\n${logLines.join('\n')}`);
    }
    await insertTickets(t, co.companyId!, 400);
  }, 90_000);

  afterAll(async () => {
    await t?.close();
  });

  const record = <R extends { status: number; body: unknown }>(
    op: Op,
    res: R,
    externalId?: string,
  ): R => {
    outcomes.push({ op, status: res.status, body: res.body as Outcome['body'], externalId });
    return res;
  };

  /** One client: intake, claim the next ticket and resolve it, read the company's tickets. */
  async function client(i: number, over: () => boolean): Promise<void> {
    const agent = agents[i];
    while (!over()) {
      const body = escalationBody();
      intakes.set(body.externalId as string, body);
      record(
        'intake',
        await t.http.post('/v1/escalations').set('Authorization', `Bearer ${key}`).send(body),
        body.externalId as string,
      );
      const claimed = record(
        'claim-next',
        await t.http.post('/v1/agents/me/tickets/claim-next').set(agent.auth),
      );
      if (claimed.status === 200) {
        record(
          'resolve',
          await t.http
            .post(`/v1/tickets/${claimed.body.id}/resolve`)
            .set(agent.auth)
            .send({ resolutionSummary: 'Done' }),
        );
      }
      record('read', await t.http.get('/v1/tickets?limit=5').set(co.auth));
    }
  }

  async function killer(admin: Client, database: string, over: () => boolean): Promise<void> {
    while (!over()) {
      const { rowCount } = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [database],
      );
      killed += rowCount ?? 0;
      // The drill's cadence (a kill every KILL_EVERY_MS), not a wait for something to happen.
      await new Promise((r) => setTimeout(r, KILL_EVERY_MS));
    }
  }

  // Today this fails with "Unhandled error. (error: terminating connection due to administrator
  // command" : a pg Client emits 'error' with no listener — in a real process an uncaught
  // exception that kills the API (see the report).
  it('runs a request storm while every connection is killed every 150 ms', async () => {
    const database = new URL(t.env.DATABASE_URL!).pathname.slice(1);
    const admin = await adminClient();
    try {
      const start = Date.now();
      const over = () =>
        Date.now() - start >= STORM_CEILING_MS ||
        (Date.now() - start >= STORM_MS &&
          outcomes.length >= ENOUGH_OUTCOMES &&
          killed >= ENOUGH_KILLS);
      await Promise.all([killer(admin, database, over), ...agents.map((_, i) => client(i, over))]);
    } finally {
      await admin.end();
    }
    expect(killed).toBeGreaterThan(20);
    expect(outcomes.length).toBeGreaterThan(50);
    // Some requests really did meet a dead connection (else the drill proved nothing).
    expect(outcomes.filter((o) => o.status >= 500).length).toBeGreaterThan(0);
  }, 60_000);

  it('answers 503 SERVICE_UNAVAILABLE in the error shape, never 500, on a dead connection', () => {
    for (const o of outcomes.filter((x) => x.status >= 400)) {
      expect(o.body.error).toEqual(
        expect.objectContaining({
          code: expect.any(String),
          message: expect.any(String),
          requestId: expect.any(String),
        }),
      );
    }
    const byStatus: Record<number, number> = {};
    for (const o of outcomes) byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
    // What the driver threw, as logged by the filter (for the report when this fails).
    const driverErrors = [
      ...new Set(
        logLines
          .map(
            (l) => JSON.parse(l) as { context?: string; err?: { code?: string; message?: string } },
          )
          .filter((l) => l.context === 'Errors' && l.err)
          .map((l) => `${l.err!.code ?? '-'}: ${l.err!.message}`),
      ),
    ];
    const unexpected = outcomes
      .filter((o) => ![200, 201, 204, 409, 503].includes(o.status))
      .map((o) => `${o.op} ${o.status} ${o.body.error?.code}`);
    // On failure the diff shows the statuses met and the driver's errors behind each 500.
    const seen = { byStatus, driverErrors };
    expect({ unexpected: [...new Set(unexpected)], ...seen }).toEqual({ unexpected: [], ...seen });
    for (const o of outcomes.filter((x) => x.status === 503)) {
      expect(o.body.error?.code).toBe('SERVICE_UNAVAILABLE');
    }
  });

  it('recovers by itself: readiness, every request, and the outbox relay', async () => {
    await waitFor(
      async () => (await t.http.get('/health/ready')).status === 200,
      'readiness after the storm',
      10_000,
    );
    const statuses = await Promise.all(
      agents.flatMap((agent) => [
        t.http
          .post('/v1/escalations')
          .set('Authorization', `Bearer ${key}`)
          .send(escalationBody())
          .then((r) => r.status),
        t.http
          .get('/v1/agents/me/tickets')
          .set(agent.auth)
          .then((r) => r.status),
        t.http
          .get('/v1/tickets?limit=5')
          .set(co.auth)
          .then((r) => r.status),
      ]),
    );
    expect(statuses.filter((s) => s >= 300)).toEqual([]);
    // The relay's transactions and its LISTEN connection were killed too: it carries on.
    await waitFor(
      async () =>
        (await t.db.query('SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL'))[0].n ===
        0,
      'the outbox drained after the storm',
      15_000,
    );
  }, 30_000);

  it('left nothing half written: every change has its events, a retried intake is idempotent', async () => {
    // Intakes that failed are retried as a bot would: the same body is created once or found.
    for (const o of outcomes.filter((x) => x.op === 'intake' && x.status >= 500)) {
      const res = await t.http
        .post('/v1/escalations')
        .set('Authorization', `Bearer ${key}`)
        .send(intakes.get(o.externalId!)!);
      expect([200, 201]).toContain(res.status);
    }
    const q = async (sql: string) => (await t.db.query(sql, [co.companyId])) as unknown[];
    // Each escalated ticket armed its SLA timer in the same transaction.
    expect(
      await q(`SELECT t.id FROM tickets t WHERE t.company_id = $1 AND t.external_id NOT LIKE 'bulk-%'
                 AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.job_name = 'ticket.sla-check'
                                   AND o.payload->>'ticketId' = t.id::text)`),
    ).toEqual([]);
    // A claimed ticket has exactly its one active claim, and the other way round.
    expect(
      await q(`SELECT t.id FROM tickets t WHERE t.company_id = $1 AND t.status = 'claimed'
                 AND (SELECT count(*) FROM ticket_claims c
                       WHERE c.ticket_id = t.id AND c.status = 'active' AND c.agent_id = t.claimed_by) <> 1`),
    ).toEqual([]);
    expect(
      await q(`SELECT c.id FROM ticket_claims c JOIN tickets t ON t.id = c.ticket_id
                WHERE c.company_id = $1 AND c.status = 'active' AND t.status <> 'claimed'`),
    ).toEqual([]);
    // Every claim wrote its event and its handle timer; every resolution its event and ledger job.
    const jobsPerClaim = (name: string) =>
      `(SELECT count(*) FROM outbox o WHERE o.job_name = '${name}'
          AND coalesce(o.payload->>'claimId', o.payload->'event'->>'claimId') = c.id::text)`;
    expect(
      await q(`SELECT c.id FROM ticket_claims c WHERE c.company_id = $1
                 AND (${jobsPerClaim('ticket.claimed')} <> 1 OR ${jobsPerClaim('ticket.handle-timeout')} < 1)`),
    ).toEqual([]);
    expect(
      await q(`SELECT c.id FROM ticket_claims c JOIN tickets t ON t.id = c.ticket_id
                WHERE c.company_id = $1 AND c.status = 'resolved'
                  AND (t.status <> 'resolved' OR ${jobsPerClaim('ticket.resolved')} <> 1
                       OR ${jobsPerClaim('ledger.ticket-event')} <> 1)`),
    ).toEqual([]);
    // The ledger (booked by workers whose transactions were killed too) still balances, once.
    const [{ total }] = await t.db.query(
      'SELECT coalesce(sum(amount_minor), 0)::bigint AS total FROM journal_lines',
    );
    expect(Number(total)).toBe(0);
    await waitFor(
      async () =>
        (
          await t.db.query(
            `SELECT count(*)::int AS n FROM ticket_claims c WHERE c.company_id = $1
                AND c.status = 'resolved' AND NOT EXISTS (SELECT 1 FROM earnings e WHERE e.claim_id = c.id)`,
            [co.companyId],
          )
        )[0].n === 0,
      'every resolution earned',
      20_000,
    );
    const twice =
      await q(`SELECT claim_id FROM journal_entries WHERE kind = 'earning' AND company_id = $1
                             GROUP BY claim_id HAVING count(*) > 1`);
    expect(twice).toEqual([]);
  }, 60_000);
});
