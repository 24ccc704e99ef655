import type { Queue } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { QueuesService } from '../src/modules/jobs/queues.service';
import { outboxJobId } from '../src/modules/outbox/outbox.service';
import { createApiKey, registerCompany, SignedIn } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';
import { escalate, escalationBody, liveAgents } from './support/tickets';
import { waitFor } from './support/wait-for';
import { slaBreachNow, webhookReceiver, WebhookReceiver } from './support/webhooks';
import { capturingLogger, LogLine } from './support/logs';

/** Outbox rows of a ticket's work, oldest first: which job, and the request id it carries. */
async function outboxRows(t: TestApp, ticketId: string) {
  const rows: { id: string; job_name: string; request_id: string | null }[] = await t.db.query(
    `SELECT id, job_name, request_id FROM outbox
      WHERE payload->>'ticketId' = $1 OR payload->>'deliveryId' IN (
            SELECT id::text FROM webhook_deliveries WHERE payload->'data'->>'ticketId' = $1)
      ORDER BY id`,
    [ticketId],
  );
  return rows;
}

describe('a request id follows its work into jobs, webhooks and logs', () => {
  let t: TestApp;
  let co: SignedIn;
  let key: string;
  let hook: WebhookReceiver;
  let defaultQueue: Queue;
  const lines: LogLine[] = [];

  beforeAll(async () => {
    t = await createTestApp({
      workers: true,
      logger: capturingLogger(lines, 'info', 'api'),
      env: { WEBHOOK_BACKOFF_MS: '100', WEBHOOK_ATTEMPTS: '5', OUTBOX_POLL_MS: '100' },
    });
    defaultQueue = t.app.get(QueuesService).get('default');
    co = await registerCompany(t, 'Traced');
    key = await createApiKey(t, co);
    // The first delivery attempt of each event fails (so the worker logs a line), then 200.
    const failedOnce = new Set<string>();
    hook = webhookReceiver({
      answer: (r) => {
        const id = String(r.headers['handoff-event-id']);
        if (failedOnce.has(id)) return 200;
        failedOnce.add(id);
        return 500;
      },
    });
    const url = await hook.start();
    await t.http.put('/v1/companies/me/webhook').set(co.auth).send({ url }).expect(200);
  });
  afterAll(async () => {
    await hook.stop();
    await t.close();
  });

  /** Escalates, then makes its SLA timer (already relayed as a delayed job) fire now. */
  async function escalateAndBreach(headers: Record<string, string>) {
    const res = await t.http
      .post('/v1/escalations')
      .set('Authorization', `Bearer ${key}`)
      .set(headers)
      .send(escalationBody({ claimSlaSeconds: 3600 }))
      .expect(201);
    const ticketId: string = res.body.id;
    const [timer] = await outboxRows(t, ticketId);
    expect(timer.job_name).toBe('ticket.sla-check');
    const job = await waitFor(
      () => defaultQueue.getJob(outboxJobId(timer.id)),
      'the SLA timer relayed to the queue',
    );
    await t.db.query(`UPDATE tickets SET sla_deadline = now() WHERE id = $1`, [ticketId]);
    await job.promote();
    const deliveries = await waitFor(async () => {
      const got = hook.received.filter(
        (r) => JSON.parse(r.body).data?.ticketId === ticketId && r.headers['handoff-event'],
      );
      return got.length >= 2 && got;
    }, 'the breach webhook, failed once then delivered');
    return { ticketId, answeredId: res.headers['x-request-id'] as string, deliveries, timer };
  }

  it("an escalation's X-Request-Id reaches its timer, the jobs it starts, the webhook and the logs", async () => {
    const requestId = `abc-${randomBytes(8).toString('hex')}`;
    const { ticketId, answeredId, deliveries } = await escalateAndBreach({
      'X-Request-Id': requestId,
    });
    expect(answeredId).toBe(requestId);

    // The webhook: both attempts carry the escalation's id; the body is the event alone.
    for (const d of deliveries) {
      expect(d.headers['handoff-event']).toBe('ticket.sla_breached');
      expect(d.headers['x-request-id']).toBe(requestId);
      expect(Object.keys(JSON.parse(d.body))).not.toContain('_meta');
    }

    // Outbox: the timer written at request time, the breach event written by the timer's job,
    // the delivery written by the event's job: one id throughout.
    const rows = await outboxRows(t, ticketId);
    expect(rows.map((r) => r.job_name)).toEqual([
      'ticket.sla-check',
      'ticket.sla_breached',
      'webhook.deliver',
    ]);
    expect(rows.map((r) => r.request_id)).toEqual([requestId, requestId, requestId]);

    // The queue holds it beside the payload, where the dashboard shows it.
    const deliver = await t.app.get(QueuesService).get('webhooks').getJob(outboxJobId(rows[2].id));
    expect(deliver!.data).toEqual({
      deliveryId: expect.any(String),
      chain: 0,
      companyId: co.companyId,
      _meta: { requestId },
    });

    // Logs: the HTTP line, and the worker's line for the failed attempt, with the job named.
    expect(lines.find((l) => (l.req as { id?: string })?.id === requestId)).toBeDefined();
    const failed = await waitFor(
      async () =>
        lines.find((l) => l.msg === 'webhook delivery failed' && l.requestId === requestId),
      'the worker log line of the failed attempt',
    );
    expect(failed.job).toMatchObject({ queue: 'webhooks', name: 'webhook.deliver', attempt: 1 });
  });

  it('an id the server minted (no X-Request-Id sent) follows the same way', async () => {
    const { answeredId, deliveries } = await escalateAndBreach({});
    expect(answeredId).toMatch(/^[0-9a-f-]{36}$/);
    for (const d of deliveries) expect(d.headers['x-request-id']).toBe(answeredId);
  });

  it("a claim's X-Request-Id reaches the claim event and the handle timeout the SQL claim writes", async () => {
    const { agents } = await liveAgents(t, co.auth, 1);
    const byId = await escalate(t, key);
    await escalate(t, key);
    const claimBy = `claim-${randomBytes(6).toString('hex')}`;
    await t.http
      .post(`/v1/tickets/${byId.id}/claim`)
      .set(agents[0].auth)
      .set('X-Request-Id', claimBy)
      .expect(200);
    const claimNext = `next-${randomBytes(6).toString('hex')}`;
    const next = await t.http
      .post('/v1/agents/me/tickets/claim-next')
      .set(agents[0].auth)
      .set('X-Request-Id', claimNext)
      .expect(200);
    const written = async (ticketId: string) => {
      const rows: { job_name: string; request_id: string | null }[] = await t.db.query(
        `SELECT job_name, request_id FROM outbox
          WHERE job_name IN ('ticket.claimed', 'ticket.handle-timeout')
            AND (payload->>'ticketId' = $1 OR payload->>'claimId' IN (
                 SELECT id::text FROM ticket_claims WHERE ticket_id = $1::uuid))
          ORDER BY job_name`,
        [ticketId],
      );
      return rows;
    };
    expect(await written(byId.id)).toEqual([
      { job_name: 'ticket.claimed', request_id: claimBy },
      { job_name: 'ticket.handle-timeout', request_id: claimBy },
    ]);
    expect(await written(next.body.id)).toEqual([
      { job_name: 'ticket.claimed', request_id: claimNext },
      { job_name: 'ticket.handle-timeout', request_id: claimNext },
    ]);
    const claimedHook = await waitFor(
      async () =>
        hook.received.find(
          (r) =>
            r.headers['handoff-event'] === 'ticket.claimed' &&
            JSON.parse(r.body).data?.ticketId === byId.id &&
            r.headers['x-request-id'] === claimBy,
        ),
      'the claim webhook with the claim request id',
    );
    expect(claimedHook).toBeDefined();
  });

  it('work no request started carries no id', async () => {
    const ticketId = await slaBreachNow(t, key); // its timer row is written without a request
    const delivered = await waitFor(
      async () =>
        hook.received.find(
          (r) => JSON.parse(r.body).data?.ticketId === ticketId && r.headers['handoff-event'],
        ),
      'the breach webhook',
    );
    expect(delivered.headers['x-request-id']).toBeUndefined();
    const rows = await outboxRows(t, ticketId);
    const fromJobs = rows.filter((r) => r.job_name !== 'ticket.sla-check');
    expect(fromJobs.length).toBeGreaterThan(0);
    expect(fromJobs.map((r) => r.request_id)).toEqual(fromJobs.map(() => null));
  });
});
