import type { Job } from 'bullmq';
import { randomUUID } from 'node:crypto';
import type { TicketEvent } from '../src/modules/jobs/job-registry';
import { QueuesService } from '../src/modules/jobs/queues.service';
import { outboxJobId } from '../src/modules/outbox/outbox.service';
import { DELIVERY_ERROR_KINDS } from '../src/modules/webhooks/webhook-delivery-error';
import { WebhookDeliveriesRepository } from '../src/modules/webhooks/webhook-deliveries.repository';
import { WebhookFanOutHandler } from '../src/modules/webhooks/webhook-fan-out.handler';
import { WebhookDeliveryHandler } from '../src/modules/webhooks/webhook-jobs.handlers';
import { WebhookLogPruner } from '../src/modules/webhooks/webhook-log-pruner.service';
import { WEBHOOK_RESOLVER, WebhookResolver } from '../src/modules/webhooks/webhook-resolver';
import { registerCompany, SignedIn } from './support/factories';
import { waitForLockWaiters, withRowsHeld } from './support/row-locks';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';
import {
  closedPort,
  fakeResolver,
  ReceiverOptions,
  WebhookReceiver,
  webhookReceiver,
} from './support/webhooks';

/*
 * Issue 13: the delivery log filters by status and event type (comma-separated, with paging),
 * says when a pending delivery is tried next (from the queue's own backoff), and names why an
 * attempt failed instead of "fetch failed".
 */
// Wide enough that a stall of a loaded machine (the whole suite in parallel on two cores) does
// not make an answer a timeout, or let a poll miss a state the log passes through.
const BACKOFF_MS = 1_000;
const TIMEOUT_MS = 1_000;
const names = fakeResolver(
  new Map([
    ['tls.example', ['127.0.0.1']],
    ['hooks.example', ['127.0.0.1']],
    ['gate.example', ['127.0.0.1']],
  ]),
);
/** Lookups of gate.example wait while `gate` is set (a slow DNS answer), `atGate` told. */
let gate: { held: Promise<void>; atGate: () => void } | null = null;
const resolver: WebhookResolver = async (hostname) => {
  if (hostname === 'gate.example' && gate) {
    gate.atGate();
    await gate.held;
  }
  return names(hostname);
};

interface Delivery {
  id: string;
  eventType: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastErrorKind: string | null;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
}

describe('the webhook delivery log', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      workers: true,
      env: {
        WEBHOOK_BACKOFF_MS: String(BACKOFF_MS),
        WEBHOOK_ATTEMPTS: '3',
        WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
        OUTBOX_POLL_MS: '100',
        TIMER_SWEEP_MS: '1000',
      },
      overrideProviders: [{ provide: WEBHOOK_RESOLVER, useValue: resolver }],
    });
  });
  afterAll(async () => {
    await t.close();
  });

  const list = (co: SignedIn, query = '') =>
    t.http.get(`/v1/companies/me/webhook-deliveries${query}`).set(co.auth);
  const logOf = async (co: SignedIn, id: string): Promise<Delivery | undefined> =>
    (await list(co, '?limit=100').expect(200)).body.items.find((d: Delivery) => d.id === id);
  /** Points the company's webhook at the receiver, started now. */
  const hookTo = async (co: SignedIn, hook: WebhookReceiver) =>
    t.http
      .put('/v1/companies/me/webhook')
      .set(co.auth)
      .send({ url: await hook.start() })
      .expect(200);
  const ping = async (co: SignedIn): Promise<Delivery> =>
    (await t.http.post('/v1/companies/me/webhook/test').set(co.auth).expect(202)).body;

  describe('filters', () => {
    let co: SignedIn;
    // Newest first, as the log lists them.
    const rows: [string, string][] = [
      ['ticket.claimed', 'delivered'],
      ['ticket.claimed', 'failed'],
      ['ping', 'delivered'],
      ['ticket.claimed', 'pending'],
      ['ticket.resolved', 'delivered'],
      ['ticket.resolved', 'failed'],
      ['ticket.sla_breached', 'pending'],
      ['ticket.claimed', 'delivered'],
      ['ping', 'failed'],
      ['ticket.claimed', 'delivered'],
      ['ticket.reopened', 'delivered'],
    ];
    const ids: string[] = [];
    beforeAll(async () => {
      co = await registerCompany(t, 'Filtered');
      // Rows written straight in: this is about reading the log, and fixed times make the
      // expected order known.
      const base = Date.now() - 60_000;
      for (const [i, [type, status]] of rows.entries()) {
        const [row] = await t.db.query(
          `INSERT INTO webhook_deliveries (company_id, event_id, event_type, payload, url, status,
                                           created_at)
           VALUES ($1, gen_random_uuid(), $2, '{}', 'https://hooks.example.test/h', $3, $4)
           RETURNING id`,
          [co.companyId, type, status, new Date(base - i * 1000)],
        );
        ids.push(row.id);
      }
    });

    const expected = (keep: (type: string, status: string) => boolean) =>
      ids.filter((_, i) => keep(...rows[i]));

    /** Every page of a query, following nextCursor. */
    async function allPages(query: string, limit: number): Promise<string[][]> {
      const pages: string[][] = [];
      let cursor: string | null = null;
      do {
        const { body }: { body: { items: Delivery[]; nextCursor: string | null } } = await list(
          co,
          `?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        ).expect(200);
        pages.push(body.items.map((d) => d.id));
        cursor = body.nextCursor;
      } while (cursor && pages.length < 20);
      return pages;
    }

    it.each([
      ['status=failed', (_: string, s: string) => s === 'failed'],
      ['status=pending,failed', (_: string, s: string) => s !== 'delivered'],
      ['status=pending&status=failed', (_: string, s: string) => s !== 'delivered'],
      ['event=ping', (e: string) => e === 'ping'],
      ['event=ticket.claimed,ping', (e: string) => e === 'ticket.claimed' || e === 'ping'],
      [
        'status=delivered&event=ticket.claimed,ticket.reopened',
        (e: string, s: string) =>
          s === 'delivered' && (e === 'ticket.claimed' || e === 'ticket.reopened'),
      ],
    ])('?%s lists exactly the matching deliveries, newest first', async (query, keep) => {
      const res = await list(co, `?${query}&limit=100`).expect(200);
      expect(res.body.items.map((d: Delivery) => d.id)).toEqual(expected(keep));
      expect(res.body.nextCursor).toBeNull();
    });

    it('pages a filtered log: disjoint pages that cover exactly the matching deliveries', async () => {
      const pages = await allPages('event=ticket.claimed,ping', 2);
      expect(pages.map((p) => p.length)).toEqual([2, 2, 2, 1]);
      expect(pages.flat()).toEqual(expected((e) => e === 'ticket.claimed' || e === 'ping'));
      const delivered = await allPages('status=delivered', 4);
      expect(delivered.flat()).toEqual(expected((_, s) => s === 'delivered'));
    });

    it.each([
      ['status=lost', 'status'],
      ['status=', 'status'],
      ['status=failed,', 'status'],
      ['event=ticket.nope', 'event'],
      ['event=ticket.claimed,,ping', 'event'],
      ['event=TICKET.CLAIMED', 'event'],
    ])('refuses ?%s with 400 naming %s', async (query, field) => {
      const res = await list(co, `?${query}`).expect(400);
      expect(res.body.error).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: { fields: [{ field, messages: [expect.stringMatching(/comma-separated/)] }] },
      });
    });

    it("keeps each company's log to itself, filters included", async () => {
      const other = await registerCompany(t, 'Elsewhere');
      expect((await list(other, '?status=failed').expect(200)).body.items).toEqual([]);
    });
  });

  it('shows when a pending delivery is tried next: the queue backoff, then null once settled', async () => {
    const co = await registerCompany(t, 'Scheduled');
    const hook = webhookReceiver({ script: [500, 500] }); // delivered at the third attempt
    try {
      await hookTo(co, hook);
      const { id } = await ping(co);
      // Every state the log goes through, by attempt count.
      const seen = new Map<number, Delivery>();
      await waitFor(
        async () => {
          const d = await logOf(co, id);
          if (d && !seen.has(d.attempts)) seen.set(d.attempts, d);
          return d?.status === 'delivered';
        },
        'the delivery delivered',
        { timeoutMs: 15_000, intervalMs: 25 },
      );
      const after1 = seen.get(1)!;
      const after2 = seen.get(2)!;
      const done = seen.get(3)!;
      const waitAfter = (d: Delivery) =>
        new Date(d.nextAttemptAt!).getTime() - new Date(d.lastAttemptAt!).getTime();
      expect(after1).toMatchObject({ status: 'pending', lastErrorKind: 'http_status' });
      expect(after2).toMatchObject({ status: 'pending', lastErrorKind: 'http_status' });
      // BullMQ waits WEBHOOK_BACKOFF_MS × 2^(n-1) after attempt n.
      expect([waitAfter(after1), waitAfter(after2)]).toEqual([BACKOFF_MS, 2 * BACKOFF_MS]);
      // And the receiver saw the retries then: not before, and not much after (the time
      // BullMQ takes to move the job back, on a loaded machine).
      const [, second, third] = hook.received.map((r) => r.at);
      for (const [arrived, due] of [
        [second, after1.nextAttemptAt!],
        [third, after2.nextAttemptAt!],
      ] as const) {
        const lateMs = arrived - new Date(due).getTime();
        expect(lateMs).toBeGreaterThanOrEqual(-20);
        expect(lateMs).toBeLessThan(1_500);
      }
      expect(done).toMatchObject({ status: 'delivered', nextAttemptAt: null, lastError: null });
      expect(done.lastErrorKind).toBeNull();
    } finally {
      await hook.stop();
    }
  });

  it('fails pending deliveries when the webhook is removed: a URL set after gets none of them', async () => {
    const co = await registerCompany(t, 'Removed');
    const first = webhookReceiver({ then: 500 });
    const second = webhookReceiver();
    try {
      await hookTo(co, first);
      const { id } = await ping(co);
      await waitFor(async () => (await logOf(co, id))?.attempts === 1, 'the first attempt');
      // Removed while its retry waits, and a new receiver set before the retry is due (the
      // queue paused meanwhile, so that a slow machine cannot run the retry first).
      const queue = t.app.get(QueuesService).get('webhooks');
      await queue.pause();
      try {
        await t.http.delete('/v1/companies/me/webhook').set(co.auth).expect(204);
        await hookTo(co, second);
      } finally {
        await queue.resume();
      }
      expect(await logOf(co, id)).toMatchObject({
        status: 'failed',
        attempts: 1,
        lastErrorKind: 'endpoint_removed',
        nextAttemptAt: null,
      });
      // Past the retry's time: the queued retry sends nothing, to either receiver.
      await new Promise((resolve) => setTimeout(resolve, 3 * BACKOFF_MS));
      expect(second.received).toEqual([]);
      expect(first.received).toHaveLength(1);
      expect(await logOf(co, id)).toMatchObject({ status: 'failed', attempts: 1 });
    } finally {
      await first.stop();
      await second.stop();
    }
  });

  it('an attempt whose name was still resolving when the webhook was removed sends nothing', async () => {
    const co = await registerCompany(t, 'Removed mid-lookup');
    const hook = webhookReceiver();
    let release!: () => void;
    let reached!: () => void;
    const atGate = new Promise<void>((resolve) => (reached = resolve));
    try {
      const url = (await hook.start()).replace('127.0.0.1', 'gate.example');
      await t.http.put('/v1/companies/me/webhook').set(co.auth).send({ url }).expect(200);
      gate = { held: new Promise((resolve) => (release = resolve)), atGate: reached };
      const { id } = await ping(co);
      await atGate; // the attempt read the endpoint and waits on DNS (up to 3 s in production)
      await t.http.delete('/v1/companies/me/webhook').set(co.auth).expect(204);
      gate = null;
      release();
      await waitFor(
        async () => (await logOf(co, id))?.status === 'failed',
        'the delivery failed by the removal',
      );
      await new Promise((resolve) => setTimeout(resolve, 500)); // an attempt would have landed
      expect(hook.received).toEqual([]);
      expect(await logOf(co, id)).toMatchObject({
        status: 'failed',
        lastErrorKind: 'endpoint_removed',
      });
    } finally {
      gate = null;
      release?.();
      await hook.stop();
    }
  });

  it('an event from before a removal, fanned out after a new URL was set, goes nowhere', async () => {
    const co = await registerCompany(t, 'Removed before fan-out');
    const first = webhookReceiver();
    const second = webhookReceiver();
    const fanOut = t.app.get(WebhookFanOutHandler);
    /** A ticket event's outbox row, as its transaction writes it (marked sent: the test runs
     * its fan-out itself, late, as a backlog or the sweep's gaveUp would). */
    const eventNow = async () => {
      const event = {
        eventId: randomUUID(),
        ticketId: randomUUID(),
        companyId: co.companyId!,
        externalId: 'T-1',
        agentId: null,
        claimId: null,
        occurredAt: new Date().toISOString(),
        data: { releasedBy: 'agent', reason: 'Customer wrote about order 1234' },
      };
      const [{ id }] = await t.db.query(
        `INSERT INTO outbox (job_name, payload, sent_at) VALUES ('ticket.released', $1, now())
         RETURNING id`,
        [event],
      );
      const job = { id: outboxJobId(id), name: 'ticket.released' } as Job;
      return { run: () => fanOut.handle(event as TicketEvent<'ticket.released'>, job), event };
    };
    try {
      await hookTo(co, first);
      const before = await eventNow();
      await t.http.delete('/v1/companies/me/webhook').set(co.auth).expect(204);
      await hookTo(co, second);
      await expect(before.run()).resolves.toEqual({ deliveryId: null });
      // One written after the new URL was set goes there.
      const after = await eventNow();
      const { deliveryId } = await after.run();
      expect(deliveryId).toEqual(expect.any(String));
      const received = await waitFor(async () => second.received[0], 'the later event');
      expect(JSON.parse(received.body)).toMatchObject({ id: after.event.eventId });
      const [{ n }] = await t.db.query(
        'SELECT count(*)::int AS n FROM webhook_deliveries WHERE event_id = $1',
        [before.event.eventId],
      );
      expect(n).toBe(0);
      expect(second.received).toHaveLength(1);
      expect(first.received).toEqual([]);
    } finally {
      await first.stop();
      await second.stop();
    }
  });

  it('a removal waits for a delivery being written, and fails it with the rest', async () => {
    const co = await registerCompany(t, 'Removed mid-write');
    const hook = webhookReceiver();
    try {
      await hookTo(co, hook);
      const eventId = randomUUID();
      const removed = await withRowsHeld(t, 'SELECT 1', [], async (held) => {
        // A fan-out's transaction has written its delivery, not yet committed.
        const written = await t.app.get(WebhookDeliveriesRepository).insertForEvent(
          held.manager,
          co.companyId!,
          // (Later than the endpoint by any clock.)
          { id: eventId, type: 'ping', happenedAt: new Date(Date.now() + 3_600_000) },
          '{"id":"x"}',
        );
        expect(written).not.toBeNull();
        const removal = t.http
          .delete('/v1/companies/me/webhook')
          .set(co.auth)
          .then((r) => r);
        await waitForLockWaiters(t, 1, 'the removal to wait for the delivery being written');
        await held.commitTransaction();
        return removal;
      });
      expect(removed.status).toBe(204);
      const [row] = await t.db.query(
        `SELECT status, last_error_kind FROM webhook_deliveries WHERE event_id = $1`,
        [eventId],
      );
      expect(row).toEqual({ status: 'failed', last_error_kind: 'endpoint_removed' });
    } finally {
      await hook.stop();
    }
  });

  it('prunes deliveries settled past WEBHOOK_LOG_RETENTION_DAYS (a redelivery counts anew), payloads with them; pending ones stay', async () => {
    const co = await registerCompany(t, 'Pruned');
    const insert = async (status: string, daysAgo: number, triedDaysAgo: number | null = null) => {
      const [row] = await t.db.query(
        `INSERT INTO webhook_deliveries (company_id, event_id, event_type, payload, url, status,
                                         next_attempt_at, created_at, last_attempt_at)
         VALUES ($1, gen_random_uuid(), 'ticket.resolved', '{"text":"the customer said…"}',
                 'https://hooks.example/h', $2,
                 CASE WHEN $2 = 'pending' THEN now() END, now() - make_interval(days => $3),
                 now() - make_interval(days => $4))
         RETURNING id`,
        [co.companyId, status, daysAgo, triedDaysAgo],
      );
      return row.id as string;
    };
    const oldDelivered = await insert('delivered', 31, 31);
    const oldFailed = await insert('failed', 45);
    const oldPending = await insert('pending', 31, 31);
    const recent = await insert('delivered', 29, 29);
    // Created long ago, redelivered yesterday: settled yesterday, kept.
    const redelivered = await insert('delivered', 40, 1);
    const pruned = await t.app.get(WebhookLogPruner).prune();
    expect(pruned).toBeGreaterThanOrEqual(2);
    const left = (
      await t.db.query(`SELECT id FROM webhook_deliveries WHERE company_id = $1`, [co.companyId])
    ).map((r: { id: string }) => r.id);
    expect(left.sort()).toEqual([oldPending, recent, redelivered].sort());
    expect(left).not.toContain(oldDelivered);
    expect(left).not.toContain(oldFailed);
  });

  it('has no next attempt once a delivery has failed for good', async () => {
    const co = await registerCompany(t, 'Failing');
    const hook = webhookReceiver({ then: 503 });
    try {
      await hookTo(co, hook);
      const { id } = await ping(co);
      const failed = await waitFor(async () => {
        const d = await logOf(co, id);
        return d?.status === 'failed' && d;
      }, 'the delivery failed');
      expect(failed).toMatchObject({
        attempts: 3,
        lastStatusCode: 503,
        lastError: 'receiver answered 503',
        lastErrorKind: 'http_status',
        nextAttemptAt: null,
      });
    } finally {
      await hook.stop();
    }
  });

  it('fails a delivery whose job gave up before its last attempt was recorded; a redelivery begun since is left alone', async () => {
    const co = await registerCompany(t, 'Unrecorded');
    const hook = webhookReceiver({ then: 503 });
    // The write that records the third (last) attempt fails: the job fails for good and, before
    // the sweep settled such jobs, the delivery stayed pending for ever (and a pending delivery
    // cannot be redelivered).
    await t.db.query(`
      CREATE FUNCTION lose_last_record() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.attempts >= 3 AND NEW.company_id = '${co.companyId}' THEN
          RAISE EXCEPTION 'injected: the record was lost';
        END IF;
        RETURN NEW;
      END $$`);
    await t.db.query(`
      CREATE TRIGGER lose_last_record BEFORE UPDATE ON webhook_deliveries
        FOR EACH ROW EXECUTE FUNCTION lose_last_record()`);
    try {
      await hookTo(co, hook);
      const { id } = await ping(co);
      const queue = t.app.get(QueuesService).get('webhooks');
      const job = await waitFor(async () => {
        const failed = await queue.getFailed(0, 100);
        return failed.find((j) => j?.data.deliveryId === id);
      }, 'the job failed for good');
      expect(hook.received).toHaveLength(3);
      const settled = await waitFor(async () => {
        const d = await logOf(co, id);
        return d?.status === 'failed' && d;
      }, 'the sweep to settle the delivery');
      expect(settled).toMatchObject({
        attempts: 2, // the third was made but never recorded
        lastStatusCode: 503,
        lastErrorKind: 'outcome_unknown',
        lastError: 'delivery stopped before the outcome of its last attempt was recorded',
        nextAttemptAt: null,
      });
      const failingKinds = async () =>
        (
          await t.http.get('/v1/events?types=webhook.failing&limit=500').set(co.auth).expect(200)
        ).body.items
          .filter((e: { data: { deliveryId: string } }) => e.data.deliveryId === id)
          .map((e: { data: { errorKind: string } }) => e.data.errorKind)
          .sort();
      await waitFor(
        async () => (await failingKinds()).join() === 'outcome_unknown',
        'the webhook.failing event of the settled delivery',
      );
      // Settled once: the failure is marked on the job, and later sweeps leave it alone.
      const marked = (await queue.getJob(job.id!))!;
      expect(marked.data._meta.gaveUpSettled).toBe(marked.finishedOn);

      await t.db.query('DROP TRIGGER lose_last_record ON webhook_deliveries');
      await t.http
        .post(`/v1/companies/me/webhook-deliveries/${id}/redeliver`)
        .set(co.auth)
        .expect(202);
      // The old job giving up again (say, a sweep that read it before it was marked) must not
      // fail the new retry chain, however the clocks stand: the chain number tells them apart.
      const handler = t.app.get(WebhookDeliveryHandler);
      expect(await handler.gaveUp({ deliveryId: id, chain: 0 })).toBe(false);
      expect(await logOf(co, id)).toMatchObject({ status: 'pending' });
      const redelivered = await waitFor(async () => {
        const d = await logOf(co, id);
        return d?.status === 'failed' && d;
      }, 'the redelivery to fail on its own');
      expect(redelivered).toMatchObject({ attempts: 5, lastErrorKind: 'http_status' });
      expect(hook.received).toHaveLength(6);
      // A failure recorded for good completes its job: the failed set keeps only the
      // unrecorded one, so the sweep has nothing more to read.
      const states = () =>
        queue
          .getJobs(['completed', 'failed'])
          .then((all) =>
            Promise.all(
              all
                .filter((j) => j?.data.deliveryId === id)
                .map(async (j) => `${j.data.chain}:${await j.getState()}`),
            ),
          );
      await waitFor(
        async () => (await states()).sort().join() === '0:failed,1:completed',
        "the first chain's job failed, the redelivery's completed",
      );
      // Events are listed once the sequencer has numbered them, just after their commit.
      await waitFor(
        async () => (await failingKinds()).join() === 'http_status,outcome_unknown',
        'both webhook.failing events',
      );
    } finally {
      await t.db.query('DROP TRIGGER IF EXISTS lose_last_record ON webhook_deliveries');
      await t.db.query('DROP FUNCTION lose_last_record()');
      await hook.stop();
    }
  });

  // A job whose worker died after its last attempt was recorded runs again (stalled): it
  // POSTed once more, wrote a second webhook.failing and, after a redelivery, failed the new
  // chain while it was still retrying (which then let a second redelivery run beside it).
  it('a job run again after its outcome was recorded, or of a replaced chain, sends nothing', async () => {
    const co = await registerCompany(t);
    const hook = webhookReceiver({ then: 503 });
    await hookTo(co, hook);
    try {
      const { id } = await ping(co);
      await waitFor(
        async () => (await logOf(co, id))?.status === 'failed',
        'the ping to fail for good',
      );
      const sent = hook.received.length;
      const handler = t.app.get(WebhookDeliveryHandler);
      const lastAttempt = { attemptsMade: 2, attemptsStarted: 3, opts: { attempts: 3 } } as Job;
      const again = (chain: number) =>
        handler.handle({ deliveryId: id, chain, companyId: co.companyId! }, lastAttempt);
      expect(await again(0)).toEqual({ status: 'superseded' });
      expect(hook.received).toHaveLength(sent);
      expect(await logOf(co, id)).toMatchObject({ status: 'failed', attempts: 3 });

      const hanging = webhookReceiver({ hang: true });
      await hookTo(co, hanging);
      try {
        await t.http
          .post(`/v1/companies/me/webhook-deliveries/${id}/redeliver`)
          .set(co.auth)
          .expect(202);
        // The first chain's job, run again while the redelivery is under way.
        expect(await again(0)).toEqual({ status: 'superseded' });
        expect(await logOf(co, id)).toMatchObject({ status: 'pending' });
      } finally {
        await hanging.stop();
      }
    } finally {
      await hook.stop();
    }
  });

  // A job whose worker stalled mid-POST can be failed for good by the queue and its delivery
  // redelivered (a new chain) before the POST ends: its outcome, recorded then, failed the
  // redelivery's pending delivery, whose own job then found it failed and sent nothing.
  it("records an attempt only on its own chain: a stale job's outcome leaves a redelivery begun meanwhile alone", async () => {
    const co = await registerCompany(t);
    const hook = webhookReceiver({});
    await hookTo(co, hook);
    try {
      const [{ id }] = await t.db.query(
        `INSERT INTO webhook_deliveries (company_id, event_id, event_type, payload, url, status)
         VALUES ($1, gen_random_uuid(), 'ping', '{"id":"x","type":"ping"}', 'https://hooks.example.test/h',
                 'pending')
         RETURNING id`,
        [co.companyId],
      );
      const handler = t.app.get(WebhookDeliveryHandler);
      type Attempt = (deliveryId: string, d: unknown) => Promise<unknown>;
      const withAttempt = handler as unknown as { attempt: Attempt };
      const real = withAttempt.attempt.bind(handler);
      // Only this delivery's attempt: the workers' retries of earlier tests go through as sent.
      const spy = jest.spyOn(withAttempt, 'attempt').mockImplementation(async (deliveryId, d) => {
        if (deliveryId !== id) return real(deliveryId, d);
        // Meanwhile: given up by the queue and redelivered (chain 1, pending again).
        await t.db.query(`UPDATE webhook_deliveries SET chain = chain + 1 WHERE id = $1`, [id]);
        return { code: 503, failure: { kind: 'http_status', message: 'receiver answered 503' } };
      });
      try {
        const lastAttempt = { attemptsMade: 2, attemptsStarted: 3, opts: { attempts: 3 } } as Job;
        await handler.handle({ deliveryId: id, chain: 0, companyId: co.companyId! }, lastAttempt);
      } finally {
        spy.mockRestore();
      }
      const [row] = await t.db.query(
        `SELECT status, attempts, chain FROM webhook_deliveries WHERE id = $1`,
        [id],
      );
      expect(row).toEqual({ status: 'pending', attempts: 0, chain: 1 });
      const failing = await t.db.query(
        `SELECT 1 FROM events WHERE type = 'webhook.failing' AND data->>'deliveryId' = $1`,
        [id],
      );
      expect(failing).toEqual([]);
    } finally {
      await hook.stop();
    }
  });

  describe('names what went wrong', () => {
    type Case = {
      /** The receiver to run (none: nothing listens). */
      receiver?: ReceiverOptions;
      /** The URL to set, from the receiver's port. */
      url: (port: number) => string;
      kind: string;
      error: (port: number) => string | RegExp;
      statusCode?: number;
    };
    const cases: Record<string, Case> = {
      'a refused connection': {
        url: (port) => `http://127.0.0.1:${port}/hooks`,
        kind: 'connection_refused',
        error: (port) => `connection refused by 127.0.0.1:${port}`,
      },
      'a receiver that does not answer in time': {
        receiver: { hang: true },
        url: (port) => `http://hooks.example:${port}/hooks`,
        kind: 'timeout',
        error: (port) => `timeout after ${TIMEOUT_MS} ms: no answer from hooks.example:${port}`,
      },
      'a certificate the sender does not trust': {
        receiver: { tls: true },
        url: (port) => `https://tls.example:${port}/hooks`,
        kind: 'tls',
        error: (port) =>
          `TLS: certificate of tls.example:${port} refused: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)`,
      },
      'https to a port that speaks plain http': {
        receiver: {},
        url: (port) => `https://hooks.example:${port}/hooks`,
        kind: 'tls',
        error: (port) =>
          new RegExp(`^TLS: handshake with hooks\\.example:${port} failed: wrong version number`),
      },
      'a name that does not resolve': {
        url: () => 'http://nowhere.example/hooks',
        kind: 'dns',
        error: () => 'DNS: nowhere.example not found (ENOTFOUND)',
      },
      'an HTTP error status': {
        receiver: { then: 500 },
        url: (port) => `http://hooks.example:${port}/hooks`,
        kind: 'http_status',
        error: () => 'receiver answered 500',
        statusCode: 500,
      },
      'a redirect': {
        receiver: { then: 307, headers: { Location: 'https://elsewhere.example/' } },
        url: (port) => `http://hooks.example:${port}/hooks`,
        kind: 'redirect',
        error: () => 'receiver answered 307; redirects are not followed',
        statusCode: 307,
      },
    };

    it.each(Object.keys(cases))('%s', async (name) => {
      const c = cases[name];
      const co = await registerCompany(t, name);
      const hook = c.receiver ? webhookReceiver(c.receiver) : null;
      const port = hook ? Number(new URL(await hook.start()).port) : await closedPort();
      try {
        await t.http
          .put('/v1/companies/me/webhook')
          .set(co.auth)
          .send({ url: c.url(port) });
        const { id } = await ping(co);
        const tried = await waitFor(async () => {
          const d = await logOf(co, id);
          return d && d.attempts >= 1 && d;
        }, 'a first attempt');
        const error = c.error(port);
        expect(tried).toMatchObject({
          status: 'pending', // retried: none of these is refused for good
          lastErrorKind: c.kind,
          lastError: typeof error === 'string' ? error : expect.stringMatching(error),
          lastStatusCode: c.statusCode ?? null,
          nextAttemptAt: expect.any(String),
        });
      } finally {
        await hook?.stop();
      }
    });
  });

  it('holds the database to the error kinds the code knows', async () => {
    const [{ def }]: { def: string }[] = await t.db.query(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE conname = 'ck_webhook_deliveries_last_error_kind'`,
    );
    const inDatabase = [...def.matchAll(/'([a-z_]+)'::text/g)].map((m) => m[1]);
    expect(inDatabase.sort()).toEqual([...DELIVERY_ERROR_KINDS].sort());
  });
});
