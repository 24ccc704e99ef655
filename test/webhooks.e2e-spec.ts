import { createHmac, randomUUID } from 'node:crypto';
import type { Job } from 'bullmq';
import { outboxPayloadData, splitJobData } from '../src/modules/jobs/job-meta';
import { PAYLOAD_IN_OUTBOX } from '../src/modules/jobs/job-registry';
import { QueuesService } from '../src/modules/jobs/queues.service';
import { TicketLedgerHandler } from '../src/modules/ledger/earnings-posting.handlers';
import { WebhookFanOutHandler } from '../src/modules/webhooks/webhook-fan-out.handler';
import { WEBHOOK_RESOLVER } from '../src/modules/webhooks/webhook-resolver';
import { verifySignature } from '../src/modules/webhooks/webhook-signature';
import { createApiKey, registerCompany, SignedIn } from './support/factories';
import { waitFor, waitUntil } from './support/wait-for';
import { escalate, liveAgents } from './support/tickets';
import { createTestApp, TestApp } from './support/test-app';
import { fakeResolver, slaBreachNow, webhookReceiver } from './support/webhooks';

// Names only this test knows, so a delivery to one proves the connection used our resolver's
// answer (the address it checked), not a lookup of its own.
const resolver = fakeResolver(new Map([['hooks.example', ['127.0.0.1']]]));

/** Every value stored under the test app's Redis prefix, as text (queues, jobs, their logs). */
async function redisText(t: TestApp): Promise<string> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await t.redis.scan(
      cursor,
      'MATCH',
      `${t.env.QUEUE_PREFIX}:*`,
      'COUNT',
      1000,
    );
    cursor = next;
    for (const key of keys) {
      const type = await t.redis.type(key);
      if (type === 'string') out.push(String(await t.redis.get(key)));
      else if (type === 'hash') out.push(...Object.values(await t.redis.hgetall(key)));
      else if (type === 'list') out.push(...(await t.redis.lrange(key, 0, -1)));
      else if (type === 'set') out.push(...(await t.redis.smembers(key)));
      else if (type === 'zset') out.push(...(await t.redis.zrange(key, 0, -1)));
      else if (type === 'stream') out.push(JSON.stringify(await t.redis.xrange(key, '-', '+')));
    }
  } while (cursor !== '0');
  return out.join('\n');
}

describe('webhooks to companies (real worker, real HTTP receiver)', () => {
  let t: TestApp;
  let co: SignedIn;
  let key: string;
  /** The signing secret, shown when the first test creates the webhook (and never again). */
  let secret: string;
  beforeAll(async () => {
    t = await createTestApp({
      workers: true,
      env: { WEBHOOK_BACKOFF_MS: '100', WEBHOOK_ATTEMPTS: '5', OUTBOX_POLL_MS: '100' },
      overrideProviders: [{ provide: WEBHOOK_RESOLVER, useValue: resolver }],
    });
    co = await registerCompany(t, 'Hooked');
    key = await createApiKey(t, co);
  });
  afterAll(async () => {
    await t.close();
  });

  /** The company's webhook pointed at `url`, and a ticket claimed by a live agent. */
  const claimedWithWebhookAt = async (url: string) => {
    await t.http.put('/v1/companies/me/webhook').set(co.auth).send({ url }).expect(200);
    const {
      agents: [agent],
    } = await liveAgents(t, co.auth, 1);
    const ticket = await escalate(t, key);
    await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);
    return { agent, ticket };
  };

  it('sets a webhook and shows its secret once', async () => {
    const set = await t.http
      .put('/v1/companies/me/webhook')
      .set(co.auth)
      .send({ url: 'https://example.test/h' })
      .expect(200);
    expect(set.body.secret).toMatch(/^whsec_/);
    expect(set.headers['cache-control']).toBe('no-store'); // a secret: never cached on the way
    secret = set.body.secret;
    const get = await t.http.get('/v1/companies/me/webhook').set(co.auth).expect(200);
    expect(get.body).toEqual({
      url: 'https://example.test/h',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const bad = await t.http
      .put('/v1/companies/me/webhook')
      .set(co.auth)
      .send({ url: 'ftp://x' })
      .expect(400);
    expect(bad.body.error.details.fields[0].field).toBe('url');
    // Private addresses are allowed in this suite (WEBHOOK_ALLOW_PRIVATE_URLS), credentials never.
    const withCredentials = await t.http
      .put('/v1/companies/me/webhook')
      .set(co.auth)
      .send({ url: 'http://user:pass@127.0.0.1:9/h' })
      .expect(400);
    expect(withCredentials.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { fields: [{ field: 'url', messages: [expect.stringMatching(/credentials/)] }] },
    });
    const other = await registerCompany(t, 'NoHook');
    await t.http.get('/v1/companies/me/webhook').set(other.auth).expect(404);
  });

  it('delivers signed events a receiver can verify; retries a 500 until it succeeds', async () => {
    const hook = webhookReceiver({ script: [500, 500] });
    const url = await hook.start();
    try {
      // The URL changes, the secret set in the first test stays (issue 13).
      const moved = await t.http.put('/v1/companies/me/webhook').set(co.auth).send({ url });
      expect(moved.body).toMatchObject({ url, secret: null });
      // Encrypted at rest: the database never holds the secret the company was given.
      const [stored] = await t.db.query(
        'SELECT secret FROM webhook_endpoints WHERE company_id = $1',
        [co.companyId],
      );
      expect(stored.secret).toMatch(/^enc:v1:/);
      expect(stored.secret).not.toContain(secret.slice(6));
      const {
        agents: [agent],
      } = await liveAgents(t, co.auth, 1);
      const ticket = await escalate(t, key);
      await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);

      await waitFor(async () => hook.received.length >= 3, 'third delivery attempt');
      const [first, , third] = hook.received;
      expect(third.body).toBe(first.body); // the same event each time
      for (const r of hook.received) {
        const header = String(r.headers['handoff-signature']);
        const [, ts, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header)!;
        // Verified independently of our own helper, as a receiver would.
        expect(createHmac('sha256', secret).update(`${ts}.${r.body}`).digest('hex')).toBe(v1);
        expect(verifySignature(secret, r.body, header)).toBe(true);
        expect(verifySignature('whsec_wrong', r.body, header)).toBe(false);
        expect(verifySignature(secret, r.body + ' ', header)).toBe(false);
      }
      const event = JSON.parse(third.body);
      expect(event).toMatchObject({
        type: 'ticket.claimed',
        data: { ticketId: ticket.id, agentId: agent.id, externalId: ticket.externalId },
      });
      expect(third.headers['handoff-event']).toBe('ticket.claimed');
      expect(third.headers['handoff-event-id']).toBe(event.id);

      const log = await waitFor(async () => {
        const res = await t.http
          .get('/v1/companies/me/webhook-deliveries')
          .set(co.auth)
          .expect(200);
        const d = res.body.items.find((x: { eventId: string }) => x.eventId === event.id);
        return d?.status === 'delivered' && d;
      }, 'delivered status');
      expect(log).toMatchObject({
        eventType: 'ticket.claimed',
        attempts: 3,
        lastStatusCode: 200,
        lastError: null,
      });

      // Redelivery on request sends it once more (one retry chain at a time).
      await t.http
        .post(`/v1/companies/me/webhook-deliveries/${log.id}/redeliver`)
        .set(co.auth)
        .expect(202);
      await waitFor(async () => hook.received.length >= 4, 'redelivery');
      expect(hook.received[3].body).toBe(first.body);
    } finally {
      await hook.stop();
    }
  });

  it('refuses to redeliver a delivery still being retried; redelivers one whose retry was lost (its next attempt over an hour late)', async () => {
    // Refused once, then no answer: the retry stays under way for WEBHOOK_TIMEOUT_MS, however
    // slowly this machine polls (answered 500 every time, it failed for good in 1.5 s).
    const hook = webhookReceiver({ script: [500], hang: true });
    const url = await hook.start();
    try {
      await claimedWithWebhookAt(url);
      const pending = await waitFor(async () => {
        const res = await t.http
          .get('/v1/companies/me/webhook-deliveries')
          .set(co.auth)
          .expect(200);
        return res.body.items.find(
          (x: { status: string; attempts: number }) => x.status === 'pending' && x.attempts >= 1,
        );
      }, 'a pending delivery');
      const redeliver = () =>
        t.http.post(`/v1/companies/me/webhook-deliveries/${pending.id}/redeliver`).set(co.auth);
      const res = await redeliver().expect(409);
      expect(res.body.error.code).toBe('DELIVERY_IN_PROGRESS');

      const chainOf = async () =>
        Number(
          (await t.db.query('SELECT chain FROM webhook_deliveries WHERE id = $1', [pending.id]))[0]
            .chain,
        );
      const before = await chainOf();
      // Its next attempt's job was lost (Redis, late in a day-long chain): nothing will come.
      await t.db.query(
        `UPDATE webhook_deliveries SET next_attempt_at = now() - interval '61 minutes'
          WHERE id = $1`,
        [pending.id],
      );
      const again = await redeliver().expect(202);
      expect(again.body).toMatchObject({ id: pending.id, status: 'pending' });
      // A new chain: the lost one's job, should it turn up, is stale and stops.
      expect(await chainOf()).toBe(before + 1);
    } finally {
      await hook.stop();
    }
  });

  it('records a failure after the last attempt', async () => {
    const hook = webhookReceiver({ then: 500 });
    const url = await hook.start();
    try {
      await t.http.put('/v1/companies/me/webhook').set(co.auth).send({ url }).expect(200);
      const ticket = { id: await slaBreachNow(t, key) };
      const failed = await waitFor(async () => {
        const res = await t.http
          .get('/v1/companies/me/webhook-deliveries')
          .set(co.auth)
          .expect(200);
        const d = res.body.items.find(
          (x: { eventType: string; payload: { data: { ticketId: string } } }) =>
            x.eventType === 'ticket.sla_breached' && x.payload.data.ticketId === ticket.id,
        );
        return d?.status === 'failed' && d;
      }, 'failed status');
      expect(failed).toMatchObject({
        attempts: 5,
        lastStatusCode: 500,
        lastError: 'receiver answered 500',
      });
      // The company (and its bot) hear of it as a `webhook.failing` event, once: not for the
      // four attempts that were retried. Another company does not.
      const failing = async (auth: string) => {
        const res = await t.http
          .get('/v1/events?types=webhook.failing&limit=500')
          .set('Authorization', auth)
          .expect(200);
        return (res.body.items as { companyId: string; data: { deliveryId: string } }[]).filter(
          (e) => e.data.deliveryId === failed.id,
        );
      };
      const [event, ...more] = await waitFor(async () => {
        const seen = await failing(co.auth.Authorization);
        return seen.length > 0 && seen;
      }, 'the webhook.failing event');
      expect(more).toEqual([]);
      expect(event).toMatchObject({
        type: 'webhook.failing',
        companyId: co.companyId,
        agentId: null,
        data: {
          deliveryId: failed.id,
          eventType: 'ticket.sla_breached',
          attempts: 5,
          lastStatusCode: 500,
          errorKind: 'http_status',
          error: 'receiver answered 500',
        },
      });
      expect(await failing(`Bearer ${key}`)).toEqual([event]);
      const other = await registerCompany(t, 'Bystander');
      expect(await failing(other.auth.Authorization)).toEqual([]);
    } finally {
      await hook.stop();
    }
  });

  it('pages the delivery log newest first: disjoint pages that cover it all; a bad cursor is a 400', async () => {
    const company = await registerCompany(t, 'Paged');
    const botKey = await createApiKey(t, company);
    const hook = webhookReceiver();
    const url = await hook.start();
    const list = (query: string) =>
      t.http.get(`/v1/companies/me/webhook-deliveries${query}`).set(company.auth);
    try {
      await t.http.put('/v1/companies/me/webhook').set(company.auth).send({ url }).expect(200);
      for (let i = 0; i < 7; i++) await slaBreachNow(t, botKey);
      const all: { id: string }[] = await waitFor(async () => {
        const res = await list('?limit=100').expect(200);
        return res.body.items.length === 7 && res.body.items;
      }, 'seven deliveries in the log');
      // Times set by hand, three of them equal, so the expected order is known and the first
      // page ends inside the tie (only the id in the cursor keeps the next page from repeating
      // or skipping a delivery).
      const base = Date.now() - 60_000;
      const createdAt = [0, 1, 2, 2, 2, 3, 4].map((k) => new Date(base - k * 1000).toISOString());
      for (const [i, d] of all.entries()) {
        await t.db.query('UPDATE webhook_deliveries SET created_at = $2 WHERE id = $1', [
          d.id,
          createdAt[i],
        ]);
      }
      const desc = (x: string, y: string) => (x < y ? 1 : x > y ? -1 : 0);
      const newestFirst = all
        .map((d, i) => ({ id: d.id, createdAt: createdAt[i] }))
        .sort((a, b) => desc(a.createdAt, b.createdAt) || desc(a.id, b.id));

      type Delivery = { id: string; createdAt: string };
      const pages: Delivery[][] = [];
      let cursor: string | null = null;
      do {
        const { body }: { body: { items: Delivery[]; nextCursor: string | null } } = await list(
          `?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        ).expect(200);
        pages.push(body.items);
        cursor = body.nextCursor;
      } while (cursor && pages.length < 5);
      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      const ids = pages.flat().map((d) => d.id);
      expect(new Set(ids).size).toBe(ids.length); // disjoint
      expect(pages.flat()).toEqual(
        newestFirst.map((d) => expect.objectContaining({ id: d.id, createdAt: d.createdAt })),
      ); // all of it, newest first
      // A page that ends exactly at the last delivery says there is no next one.
      expect((await list('?limit=7').expect(200)).body.nextCursor).toBeNull();

      const forged = Buffer.from(JSON.stringify(['yesterday', 'not-a-uuid'])).toString('base64url');
      for (const bad of ['not-a-cursor', forged]) {
        const res = await list(`?cursor=${bad}`).expect(400);
        expect(res.body.error).toMatchObject({
          code: 'VALIDATION_FAILED',
          details: { fields: [{ field: 'cursor' }] },
        });
      }
    } finally {
      await hook.stop();
    }
  });

  it('connects to the address it checked, with the name in Host', async () => {
    const hook = webhookReceiver();
    const port = Number(new URL(await hook.start()).port);
    try {
      const url = `http://hooks.example:${port}/hooks`;
      await t.http.put('/v1/companies/me/webhook').set(co.auth).send({ url }).expect(200);
      await slaBreachNow(t, key);
      await waitFor(async () => hook.received.length >= 1, 'a delivery to hooks.example', 10_000);
      expect(hook.received[0].headers.host).toBe(`hooks.example:${port}`);
    } finally {
      await hook.stop();
    }
  });

  it('does not follow redirects: a 3xx is a failed attempt', async () => {
    const elsewhere = webhookReceiver();
    const target = await elsewhere.start();
    const hook = webhookReceiver({ then: 302, headers: { Location: target } });
    const url = await hook.start();
    try {
      await t.http.put('/v1/companies/me/webhook').set(co.auth).send({ url }).expect(200);
      const ticket = { id: await slaBreachNow(t, key) };
      const failed = await waitFor(async () => {
        const res = await t.http
          .get('/v1/companies/me/webhook-deliveries')
          .set(co.auth)
          .expect(200);
        const d = res.body.items.find(
          (x: { payload: { data: { ticketId: string } } }) => x.payload.data.ticketId === ticket.id,
        );
        return d?.status === 'failed' && d;
      }, 'failed status');
      expect(failed).toMatchObject({
        attempts: 5,
        lastStatusCode: 302,
        lastError: 'receiver answered 302; redirects are not followed',
      });
      expect(hook.received).toHaveLength(5);
      expect(elsewhere.received).toEqual([]);
    } finally {
      await hook.stop();
      await elsewhere.stop();
    }
  });

  it('keeps deliveries to their company', async () => {
    const other = await registerCompany(t, 'Nosy');
    const mine = await t.http.get('/v1/companies/me/webhook-deliveries').set(co.auth).expect(200);
    expect(mine.body.items.length).toBeGreaterThan(0);
    expect(
      (await t.http.get('/v1/companies/me/webhook-deliveries').set(other.auth).expect(200)).body
        .items,
    ).toEqual([]);
    await t.http
      .post(`/v1/companies/me/webhook-deliveries/${mine.body.items[0].id}/redeliver`)
      .set(other.auth)
      .expect(404);
  });

  it("delivers a message and a resolution, books the earning, and no Redis key holds the message's body, the summary or the reason", async () => {
    const hook = webhookReceiver();
    const url = await hook.start();
    try {
      const { agent, ticket } = await claimedWithWebhookAt(url);
      const body = `Your card ending 4242 is refunded ${randomUUID()}`;
      const summary = `Refunded the order of Ms Example ${randomUUID()}`;
      const reason = `She was charged twice after all ${randomUUID()}`;
      await t.http
        .post(`/v1/tickets/${ticket.id}/messages`)
        .set(agent.auth)
        .send({ body, visibility: 'customer' })
        .expect(201);
      await t.http
        .post(`/v1/tickets/${ticket.id}/resolve`)
        .set(agent.auth)
        .send({ resolutionSummary: summary })
        .expect(200);
      const entries = async (n: number) =>
        waitFor(async () => {
          const [row] = await t.db.query(
            `SELECT count(*)::int AS n FROM journal_entries WHERE ticket_id = $1`,
            [ticket.id],
          );
          return row.n === n;
        }, `${n} journal entries for the ticket`);
      // The ledger's jobs run on the payloads read from their rows: the earning, then (after
      // the reopen) its reversal.
      await entries(1);
      await t.http
        .post(`/v1/tickets/${ticket.id}/reopen`)
        .set('Authorization', `Bearer ${key}`)
        .send({ reason })
        .expect(200);
      await entries(2);

      // The webhook gets each text, read back from the outbox by the worker.
      const events = await waitFor(async () => {
        const got = hook.received.map((r) => JSON.parse(r.body));
        const types = got.map((e: { type: string }) => e.type);
        return (
          ['ticket.message', 'ticket.resolved', 'ticket.reopened'].every((x) =>
            types.includes(x),
          ) && got
        );
      }, 'the message, the resolution and the reopen delivered');
      const ofType = (type: string) => events.find((e: { type: string }) => e.type === type);
      expect(ofType('ticket.message').data.data.body).toBe(body);
      expect(ofType('ticket.resolved').data.data.resolutionSummary).toBe(summary);
      expect(ofType('ticket.reopened').data.data.reason).toBe(reason);
      // Every such job of the ticket finished: none is left to run (or fail) later.
      await waitFor(async () => {
        const [row] = await t.db.query(
          `SELECT count(*)::int AS n FROM outbox WHERE finished_at IS NULL
            AND job_name = ANY($2) AND payload::text LIKE '%' || $1 || '%'`,
          [ticket.id, [...PAYLOAD_IN_OUTBOX]],
        );
        return row.n === 0;
      }, 'the ticket jobs finished');

      const stored = await redisText(t);
      for (const text of [body, summary, reason]) expect(stored).not.toContain(text.slice(-36));
      // The scan did find the ticket's jobs (kept a day after completion), holding no payload.
      expect(stored).toContain('"payloadInOutbox":true');
    } finally {
      await hook.stop();
    }
  });

  it('runs a ticket event an older release queued with its payload; and a handler given no payload (an older worker) fails without writing anything', async () => {
    const hook = webhookReceiver();
    const url = await hook.start();
    try {
      await t.http.put('/v1/companies/me/webhook').set(co.auth).send({ url }).expect(200);
      const ticket = await escalate(t, key);
      const body = `Queued before the release ${randomUUID()}`;
      const event = {
        eventId: randomUUID(),
        ticketId: ticket.id,
        companyId: co.companyId,
        externalId: ticket.externalId,
        agentId: null,
        claimId: null,
        occurredAt: new Date().toISOString(),
        data: {
          id: randomUUID(),
          messageId: randomUUID(),
          botMessageId: null,
          number: 1,
          author: 'agent',
          body,
          sentAt: new Date().toISOString(),
        },
      };
      // As the relay of the release before sent it: the payload in the job's data.
      await t.app
        .get(QueuesService)
        .get('default')
        .add('ticket.message', event, { jobId: 'outbox-900000001' });
      const got = await waitFor(
        async () =>
          hook.received.map((r) => JSON.parse(r.body)).find((e) => e.id === event.eventId),
        'the older job delivered',
      );
      expect(got.data.data.body).toBe(body);

      // A worker of the release before hands its handlers the job's data less the meta (the
      // same splitJobData), with no payload read from the outbox. Both handlers must fail (the
      // job is retried, by a newer worker in time), never complete on it.
      const counts = async () =>
        (
          await t.db.query(
            `SELECT (SELECT count(*) FROM webhook_deliveries)::int AS deliveries,
                    (SELECT count(*) FROM journal_entries)::int AS entries,
                    (SELECT count(*) FROM outbox)::int AS outbox`,
          )
        )[0];
      const before = await counts();
      const job = { id: 'outbox-900000002', name: 'ticket.resolved' } as Job;
      const { payload } = splitJobData(outboxPayloadData({ requestId: 'r' }));
      await expect(t.app.get(WebhookFanOutHandler).handle(payload as never, job)).rejects.toThrow();
      await expect(t.app.get(TicketLedgerHandler).handle(payload as never)).rejects.toThrow();
      expect(await counts()).toEqual(before);
    } finally {
      await hook.stop();
    }
  });
});

describe('webhook retries (real worker, real HTTP receiver)', () => {
  let t: TestApp;
  let co: SignedIn;
  let key: string;
  beforeAll(async () => {
    // Its own app: a backoff long enough that a stall of the machine does not blur the schedule.
    t = await createTestApp({
      workers: true,
      env: { WEBHOOK_BACKOFF_MS: '400', WEBHOOK_ATTEMPTS: '5', OUTBOX_POLL_MS: '100' },
    });
    co = await registerCompany(t, 'Retried');
    key = await createApiKey(t, co);
  });
  afterAll(async () => {
    await t.close();
  });

  it("retries on BullMQ's exponential schedule: the wait before attempt n+1 is WEBHOOK_BACKOFF_MS × 2^(n-1)", async () => {
    const backoffMs = t.env.WEBHOOK_BACKOFF_MS;
    const attempts = t.env.WEBHOOK_ATTEMPTS;
    const hook = webhookReceiver({ then: 500 });
    const url = await hook.start();
    try {
      await t.http.put('/v1/companies/me/webhook').set(co.auth).send({ url }).expect(200);
      const ticketId = await slaBreachNow(t, key);
      const ours = () => hook.received.filter((r) => JSON.parse(r.body).data.ticketId === ticketId);
      await waitUntil(
        async () => ours().length,
        (n) => n === attempts,
        `${attempts} attempts at the receiver`,
      );
      const times = ours().map((r) => r.at);
      const waits = times.slice(1).map((at, i) => ({
        before: `attempt ${i + 2}`,
        measuredMs: at - times[i],
        scheduledMs: backoffMs * 2 ** i, // 400, 800, 1,600, 3,200 ms here
      }));
      // Each retry comes no earlier than its delay (less a few ms of clock rounding) and at most
      // LATE_MS after it: the time an attempt takes here (the POST, the delivery's bookkeeping,
      // BullMQ moving the job back; 20-150 ms seen) and the pauses of a loaded test machine (a
      // full parallel run once stalled this file past 500 ms). The windows (395-1,900,
      // 795-2,300, 1,595-3,100, 3,195-4,700 ms here) still hold each wait to twice the one
      // before: a fixed or linear delay, or a factor of 1.5 or 2.5, falls out of one.
      const LATE_MS = 1_500;
      const offSchedule = waits.filter(
        (w) => w.measuredMs < w.scheduledMs - 5 || w.measuredMs > w.scheduledMs + LATE_MS,
      );
      expect(offSchedule).toEqual([]);
      // And after the last attempt nothing more is scheduled: the delivery has failed for good.
      const failed = await waitFor(async () => {
        const res = await t.http
          .get('/v1/companies/me/webhook-deliveries')
          .set(co.auth)
          .expect(200);
        const d = res.body.items.find(
          (x: { payload: { data: { ticketId: string } } }) => x.payload.data.ticketId === ticketId,
        );
        return d?.status === 'failed' && d;
      }, 'failed status');
      expect(failed.attempts).toBe(attempts);
    } finally {
      await hook.stop();
    }
  });
});
