import { WorkerHost } from '@nestjs/bullmq';
import { DiscoveryService } from '@nestjs/core';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { QueuesService } from '../../src/modules/jobs/queues.service';
import { createApiKey, PASSWORD, registerCompany, SignedIn } from '../support/factories';
import { startRedis, RedisChild } from '../support/faults-redis';
import { pollUntil, waitFor } from '../support/wait-for';
import { escalate, liveAgents } from '../support/tickets';
import { createTestApp, TestApp } from '../support/test-app';

/*
 * Redis is stopped (SIGKILL) while webhook deliveries are waiting and delayed (retry backoff)
 * and earning releases are armed as delayed jobs, then started again. Every effect must happen
 * exactly once afterwards: each webhook event answered 200 once at the receiver, each resolved
 * ticket earns and is released once in the ledger. Meanwhile the API keeps serving and
 * readiness says Redis is down, then recovers without a restart.
 *
 * Two set-ups: Redis as tests run it (`--save "" --appendonly no`: the restart loses every
 * key) and Redis as production must run it for queues (`--appendonly yes --appendfsync always`).
 */

/**
 * Waits for `promise` at most `ms`, then goes on. Its timer is cleared: a pending one kept Jest's
 * worker alive up to 15 s past the file, and Jest then ended it by force ("a worker process has
 * failed to exit gracefully"), which also hid any real leak.
 */
async function atMost(promise: Promise<unknown> | undefined, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise((r) => (timer = setTimeout(r, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

const REOPEN_WINDOW_HOURS = 0.004; // 14.4 s: earning releases are delayed jobs for that long
const WEBHOOK_BACKOFF_MS = 6000; // a failed first attempt waits 6 s in the delayed set
const WEBHOOKS_CONCURRENCY = 32; // WEBHOOK_CONCURRENCY's default

/** A company's webhook receiver the drill can script: fail first attempts, or hold requests. */
function receiver() {
  const answered: { eventId: string; status: number }[] = [];
  const seen = new Set<string>();
  const held: (() => void)[] = [];
  const policy = { failFirstAttempt: false, hold: false };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const eventId = String(req.headers['handoff-event-id']);
      const answer = (status: number) => {
        // A request the sender gave up on (its timeout) is not a delivery it saw succeed.
        if (res.destroyed || req.socket.destroyed) return;
        answered.push({ eventId, status });
        res.statusCode = status;
        res.end();
      };
      const first = !seen.has(eventId);
      seen.add(eventId);
      if (first && policy.failFirstAttempt) answer(500);
      else if (policy.hold) held.push(() => answer(200));
      else answer(200);
    });
  });
  return {
    answered,
    held,
    policy,
    release() {
      policy.hold = false;
      held.splice(0).forEach((answer) => answer());
    },
    start: () =>
      new Promise<string>((r) =>
        server.listen(0, '127.0.0.1', () =>
          r(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`),
        ),
      ),
    stop: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Whatever was expected and did not happen exactly once, by kind; empty when all is well. */
interface Shortfall {
  webhookEventsNotDelivered: string[];
  webhookEventsDeliveredTwice: string[];
  claimsNotEarned: string[];
  claimsNotReleased: string[];
  claimsBookedTwice: string[];
}

for (const persistent of [false, true]) {
  const setup = persistent
    ? 'Redis with an fsynced AOF (--appendonly yes --appendfsync always), as production must run it'
    : 'Redis keeping nothing on disk (--save "" --appendonly no): the restart loses every key';

  describe(`Redis killed and restarted with jobs waiting and delayed — ${setup}`, () => {
    let redis: RedisChild;
    let t: TestApp;
    let co: SignedIn;
    let key: string;
    let agents: SignedIn[];
    const hook = receiver();
    // BullMQ workers without an 'error' listener print every lost lock to console.error.
    let consoleError: jest.SpyInstance;

    beforeAll(async () => {
      consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      redis = await startRedis({ persistent });
      t = await createTestApp({
        workers: true,
        env: {
          REDIS_URL: redis.url,
          REOPEN_WINDOW_HOURS: String(REOPEN_WINDOW_HOURS),
          WEBHOOK_BACKOFF_MS: String(WEBHOOK_BACKOFF_MS),
          WEBHOOK_ATTEMPTS: '10',
          // Held requests must not time out: a timed-out delivery is rightly sent again.
          WEBHOOK_TIMEOUT_MS: '60000',
          // One company's deliveries fill every slot: the drill needs jobs active in Redis.
          WEBHOOK_CONCURRENCY: String(WEBHOOKS_CONCURRENCY),
          WEBHOOK_CONCURRENCY_PER_COMPANY: String(WEBHOOKS_CONCURRENCY),
          OUTBOX_POLL_MS: '100',
        },
      });
      co = await registerCompany(t, 'Redis drill');
      key = await createApiKey(t, co);
      const url = await hook.start();
      await t.http.put('/v1/companies/me/webhook').set(co.auth).send({ url }).expect(200);
      ({ agents } = await liveAgents(t, co.auth, 4, { maxConcurrentTickets: 5 }));
    }, 60_000);

    afterAll(async () => {
      hook.release();
      if (redis && !redis.running()) await redis.start().catch(() => undefined);
      // After Redis lost its data, a BullMQ worker's graceful close waits forever for its main
      // loop (seen on the `default` queue; see the report): the drill closes them by force.
      const workers = (t?.app.get(DiscoveryService).getProviders() ?? [])
        .map((w) => w.instance as unknown)
        .filter((i): i is WorkerHost => i instanceof WorkerHost)
        .map((host) => host.worker);
      for (const worker of workers) await atMost(worker.close(true), 5000);
      // Never let a stuck close hold the run: the database is dropped either way.
      await atMost(t?.close(), 15_000);
      await hook.stop();
      // A force-closed worker's loop may still be in a blocking wait whose watchdog fires up to
      // 11 s later (BullMQ's, for a command the closed connection never answers): waited for
      // here, else that timer outlives the file and Jest ends its worker process by force.
      await atMost(
        Promise.allSettled(
          workers.map(
            // BullMQ's own field; were it renamed, this would wait for nothing (and the message
            // come back), never fail the drill.
            (w) => (w as unknown as { mainLoopRunning: Promise<void> | null }).mainLoopRunning,
          ),
        ),
        15_000,
      );
      await redis?.dispose();
      consoleError.mockRestore();
    }, 70_000);

    /** A ticket escalated, claimed and resolved: two webhook events and one earning. */
    const handled = async (agent: SignedIn) => {
      const ticket = await escalate(t, key);
      const claim = await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth);
      if (claim.status !== 200)
        throw new Error(`claim: ${claim.status} ${JSON.stringify(claim.body)}`);
      const resolve = await t.http
        .post(`/v1/tickets/${ticket.id}/resolve`)
        .set(agent.auth)
        .send({ resolutionSummary: 'Refund re-issued' });
      if (resolve.status !== 200)
        throw new Error(`resolve: ${resolve.status} ${JSON.stringify(resolve.body)}`);
      return ticket.id;
    };
    const count = async (sql: string, params: unknown[] = []) =>
      (await t.db.query(sql, params))[0].n as number;

    const shortfall = async (): Promise<Shortfall> => {
      const events: { event_id: string }[] = await t.db.query(
        `SELECT payload->>'eventId' AS event_id FROM outbox
          WHERE job_name LIKE 'ticket.%' AND job_name NOT IN
                ('ticket.sla-check', 'ticket.handle-timeout', 'ticket.shift-end-release')
            AND payload->>'companyId' = $1`,
        [co.companyId],
      );
      const ok = new Map<string, number>();
      for (const a of hook.answered)
        if (a.status === 200) ok.set(a.eventId, (ok.get(a.eventId) ?? 0) + 1);
      const claims: { id: string; earned: number; released: number }[] = await t.db.query(
        `SELECT c.id,
                (SELECT count(*)::int FROM journal_entries e
                  WHERE e.claim_id = c.id AND e.kind = 'earning') AS earned,
                (SELECT count(*)::int FROM journal_entries e
                  WHERE e.claim_id = c.id AND e.kind = 'earning_release') AS released
           FROM ticket_claims c WHERE c.company_id = $1 AND c.status = 'resolved'`,
        [co.companyId],
      );
      return {
        webhookEventsNotDelivered: events.filter((e) => !ok.has(e.event_id)).map((e) => e.event_id),
        webhookEventsDeliveredTwice: [...ok].filter(([, n]) => n > 1).map(([id]) => id),
        claimsNotEarned: claims.filter((c) => c.earned === 0).map((c) => c.id),
        claimsNotReleased: claims.filter((c) => c.released === 0).map((c) => c.id),
        claimsBookedTwice: claims.filter((c) => c.earned > 1 || c.released > 1).map((c) => c.id),
      };
    };
    const settled = (s: Shortfall) => Object.values(s).every((list) => list.length === 0);

    // Without persistence the restart loses every job the relay handed over; the relay finds its
    // marker key gone and sends the unfinished rows again (OutboxRelay.recoverLostJobs).
    it('loses nothing and applies nothing twice; the API stays up and recovers by itself', async () => {
      const queues = t.app.get(QueuesService);

      // Wave 1: every first delivery attempt fails, so each retry waits in the delayed set.
      hook.policy.failFirstAttempt = true;
      for (let i = 0; i < 6; i++) await handled(agents[i % agents.length]);
      await waitFor(
        async () =>
          (await count(
            `SELECT count(*)::int AS n FROM webhook_deliveries WHERE company_id = $1 AND attempts >= 1`,
            [co.companyId],
          )) === 12,
        'first attempts of wave 1',
      );

      // Wave 2: the receiver holds every request, so 32 deliveries stay active and the rest wait.
      hook.policy.failFirstAttempt = false;
      hook.policy.hold = true;
      for (let i = 0; i < 20; i++) await handled(agents[i % agents.length]);
      await waitFor(
        async () =>
          (await count(`SELECT count(*)::int AS n FROM earnings WHERE company_id = $1`, [
            co.companyId,
          ])) === 26 &&
          (await count('SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL')) === 0 &&
          hook.held.length >= WEBHOOKS_CONCURRENCY,
        'wave 2 relayed, booked, and the receiver saturated',
      );
      const webhooks = await queues.get('webhooks').getJobCounts('waiting', 'delayed', 'active');
      const timers = await queues.get('default').getJobCounts('delayed');
      // The moment the drill is about: jobs only Redis holds, relayed and marked sent.
      expect(webhooks.waiting).toBeGreaterThan(0);
      expect(webhooks.active).toBe(WEBHOOKS_CONCURRENCY);
      expect(timers.delayed).toBeGreaterThanOrEqual(26); // the earning releases
      const sentRows = await count(
        'SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NOT NULL',
      );

      await redis.stop('SIGKILL');

      // The API keeps serving what needs only PostgreSQL; readiness reports Redis down.
      await t.http.get('/health').expect(200);
      const ready = await waitFor(async () => {
        const res = await t.http.get('/health/ready');
        return res.status === 503 && res;
      }, 'readiness to report Redis down');
      expect(ready.body.error.code).toBe('SERVICE_UNAVAILABLE');
      expect(ready.body.error.details.details.redis.status).toBe('down');
      // Wave 3, during the outage: written to the outbox, relayed once Redis is back.
      for (let i = 0; i < 2; i++) await handled(agents[i]);
      await t.http.get('/v1/tickets').set(co.auth).expect(200);
      expect(await count('SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL')).toBe(10);

      await redis.start();
      hook.release();
      await waitFor(
        async () => (await t.http.get('/health/ready')).status === 200,
        'readiness back after Redis returns',
      );

      // The last release is due a window after the last resolve; allow the retries after it.
      // (From the resolves, not the earnings: wave 3's are booked only now that Redis is back.)
      const [{ last }] = await t.db.query(
        `SELECT max(resolved_at) + make_interval(secs => $2::float8 * 3600) AS last
           FROM ticket_claims WHERE company_id = $1`,
        [co.companyId, REOPEN_WINDOW_HOURS],
      );
      const deadline = Math.max(new Date(last).getTime(), Date.now()) + WEBHOOK_BACKOFF_MS;
      // Not a throwing wait: on time-out the assertion below names every lost effect.
      const { value: missing } = await pollUntil(shortfall, settled, {
        timeoutMs: deadline - Date.now(),
        intervalMs: 250,
      });
      const lost = {
        ...missing,
        outboxRowsMarkedSentBeforeTheKill: sentRows,
        stillUnsent: await count('SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL'),
      };
      // On failure this names every lost effect (see the report on the outbox relay).
      expect(lost).toEqual({
        webhookEventsNotDelivered: [],
        webhookEventsDeliveredTwice: [],
        claimsNotEarned: [],
        claimsNotReleased: [],
        claimsBookedTwice: [],
        outboxRowsMarkedSentBeforeTheKill: sentRows,
        stillUnsent: 0,
      });
      const [{ total }] = await t.db.query(
        'SELECT coalesce(sum(amount_minor), 0)::bigint AS total FROM journal_lines',
      );
      expect(Number(total)).toBe(0);
      const [{ available }] = await t.db.query(
        `SELECT count(*)::int AS available FROM earnings WHERE company_id = $1 AND status = 'available'`,
        [co.companyId],
      );
      expect(available).toBe(28);
    }, 90_000);

    it('keeps signing people in during a Redis outage: rate limits and the sign-in slowdown fail open', async () => {
      await redis.stop('SIGKILL');
      try {
        const res = await t.http
          .post('/v1/auth/login')
          .send({ email: 'nobody@example.test', password: PASSWORD });
        // Checked against PostgreSQL as usual, unlimited for the moment (a warning is logged).
        expect({ status: res.status, code: res.body?.error?.code }).toEqual({
          status: 401,
          code: 'INVALID_CREDENTIALS',
        });
      } finally {
        await redis.start();
      }
      await waitFor(
        async () =>
          (
            await t.http
              .post('/v1/auth/login')
              .send({ email: 'nobody@example.test', password: PASSWORD })
          ).status === 401,
        'login served again',
      );
    }, 30_000);
  });
}
