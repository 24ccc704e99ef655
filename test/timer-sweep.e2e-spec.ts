import { ConfigService } from '@nestjs/config';
import type { Job, Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import {
  CustomerSyncHandler,
  InvoiceIssueHandler,
  UnchargedClearHandler,
} from '../src/modules/billing/invoice-jobs.handlers';
import type { Env } from '../src/config/env.validation';
import { JobDispatcher } from '../src/modules/jobs/job-dispatcher.service';
import { outboxPayloadData } from '../src/modules/jobs/job-meta';
import { QueuesService } from '../src/modules/jobs/queues.service';
import { MAX_TIMER_REARMS, TimerSweep } from '../src/modules/jobs/timer-sweep.service';
import { TicketLedgerHandler } from '../src/modules/ledger/earnings-posting.handlers';
import { outboxJobId } from '../src/modules/outbox/outbox.service';
import { PayoutLineResendHandler } from '../src/modules/payouts/payout-line-resend.handler';
import { SlaCheckHandler } from '../src/modules/tickets/ticket-timers.handlers';
import { WebhookDeliveriesRepository } from '../src/modules/webhooks/webhook-deliveries.repository';
import { WebhookFanOutHandler } from '../src/modules/webhooks/webhook-fan-out.handler';
import { registerCompany } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';
import { capturingLogger, LogLine } from './support/logs';
import { webhookReceiver } from './support/webhooks';

const REARMED = 'timer job exhausted its retries; re-armed';
const REPORTED = 'timer job failed for good (retries and re-arms used up); left in the failed set';
const SETTLED = 'job failed for good; its handler settled what it left';

describe('the timer sweep (a real worker, sweeping every second)', () => {
  let t: TestApp;
  let queue: Queue;
  const lines: LogLine[] = [];
  /** SLA checks by ticket id: how many times each ran, and how each run ends. */
  const runs = new Map<string, number>();
  const failFirst = new Map<string, number>();

  beforeAll(async () => {
    t = await createTestApp({
      workers: true,
      logger: capturingLogger(lines, 'info', 'worker'),
      env: { TIMER_SWEEP_MS: '1000' },
    });
    queue = t.app.get(QueuesService).get('default');
    // The handler override: each ticket's check throws its first N runs, then succeeds.
    jest.spyOn(t.app.get(SlaCheckHandler), 'handle').mockImplementation(async ({ ticketId }) => {
      const n = (runs.get(ticketId) ?? 0) + 1;
      runs.set(ticketId, n);
      if (n <= (failFirst.get(ticketId) ?? 0)) throw new Error(`database said no (run ${n})`);
      return { breached: false };
    });
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await t.close();
  });

  /** An SLA timer that fails its first `failures` runs, with its one retry already spent. */
  async function timer(failures: number): Promise<{ ticketId: string; jobId: string }> {
    const ticketId = randomUUID();
    failFirst.set(ticketId, failures);
    const job = await queue.add('ticket.sla-check', { ticketId }, { attempts: 1 });
    return { ticketId, jobId: job.id! };
  }

  const stateOf = async (jobId: string) => (await queue.getJob(jobId))?.getState();
  const logged = (msg: string, jobId: string) =>
    lines.filter((l) => l.msg === msg && l.jobId === jobId);

  it('re-arms a timer that exhausted its retries until it runs', async () => {
    const { ticketId, jobId } = await timer(2); // fails, re-armed, fails, re-armed, succeeds
    await waitFor(async () => (await stateOf(jobId)) === 'completed', 'the timer to complete');
    const job = (await queue.getJob(jobId))!;
    expect(runs.get(ticketId)).toBe(3);
    // Counted durably in the job's data, beside (never inside) the payload.
    expect(job.data).toEqual({ ticketId, _meta: { timerRearms: 2 } });
    const rearms = logged(REARMED, jobId);
    expect(rearms.map((l) => l.rearm)).toEqual([1, 2]);
    expect(rearms[0]).toMatchObject({
      level: 40,
      jobName: 'ticket.sla-check',
      queue: 'default',
      ids: { ticketId },
      lastReason: 'database said no (run 1)',
    });
    expect(logged(REPORTED, jobId)).toEqual([]);
  });

  it(`after ${MAX_TIMER_REARMS} re-arms reports it once and leaves it failed`, async () => {
    const stuck = await timer(Infinity);
    const report = await waitFor(
      async () => logged(REPORTED, stuck.jobId)[0],
      'the report of the stuck timer',
    );
    expect(report).toMatchObject({
      level: 50,
      jobName: 'ticket.sla-check',
      jobId: stuck.jobId,
      ids: { ticketId: stuck.ticketId },
      rearms: MAX_TIMER_REARMS,
      lastReason: `database said no (run ${MAX_TIMER_REARMS + 1})`,
    });
    expect(runs.get(stuck.ticketId)).toBe(1 + MAX_TIMER_REARMS);

    // Later sweeps happen (a newer timer gets re-armed) and leave the reported one alone.
    const later = await timer(1);
    await waitFor(async () => runs.get(later.ticketId) === 2, 'a later sweep to re-arm another');
    await waitFor(
      async () => (await stateOf(later.jobId)) === 'completed',
      'the other timer to complete',
    );
    const job = (await queue.getJob(stuck.jobId))!;
    expect(await job.getState()).toBe('failed');
    expect(runs.get(stuck.ticketId)).toBe(1 + MAX_TIMER_REARMS);
    expect(logged(REPORTED, stuck.jobId)).toHaveLength(1);
    expect(logged(REARMED, stuck.jobId)).toHaveLength(MAX_TIMER_REARMS);
    expect(job.data._meta).toEqual({
      timerRearms: MAX_TIMER_REARMS,
      timerReportedAt: expect.any(String),
    });
  });

  it('re-arms an invoice issue, an uncharged invoice’s clearing, a payout line resend and a ledger booking that failed for good', async () => {
    const qs = t.app.get(QueuesService);
    const cases = [
      // On its own queue, and on `default` (where it ran before the `billing` queue existed:
      // one that failed there before the deploy is re-armed too, since the sweep goes by name).
      { handler: t.app.get(InvoiceIssueHandler), name: 'billing.invoice-issue', queue: 'billing' },
      { handler: t.app.get(InvoiceIssueHandler), name: 'billing.invoice-issue', queue: 'default' },
      {
        handler: t.app.get(UnchargedClearHandler),
        name: 'billing.uncharged-clear',
        queue: 'default',
      },
      { handler: t.app.get(PayoutLineResendHandler), name: 'payout.line-resend', queue: 'payouts' },
      { handler: t.app.get(TicketLedgerHandler), name: 'ledger.ticket-event', queue: 'default' },
    ] as const;
    // A booking's payload carries its event, free text included: the log names its ids only.
    const ledgerPayload = {
      type: 'ticket.resolved',
      event: {
        ticketId: randomUUID(),
        claimId: randomUUID(),
        data: { resolutionSummary: 'Refunded to card ending 4242' },
      },
    };
    for (const { handler, name, queue: queueName } of cases) {
      let calls = 0;
      const spy = jest.spyOn(handler, 'handle').mockImplementation((async () => {
        calls += 1;
        if (calls === 1) throw new Error('database said no');
        return {};
      }) as never);
      // A ledger booking as the relay sends it: its payload stays in its outbox row.
      const job =
        name === 'ledger.ticket-event'
          ? await qs.get(queueName).add(name, outboxPayloadData({}) as never, {
              attempts: 1,
              jobId: outboxJobId(
                (
                  await t.db.query(
                    `INSERT INTO outbox (job_name, payload, sent_at)
                     VALUES ($1, $2, now()) RETURNING id`,
                    [name, JSON.stringify(ledgerPayload)],
                  )
                )[0].id,
              ),
            })
          : await qs
              .get(queueName)
              .add(name, { lineId: randomUUID(), invoiceId: randomUUID() } as never, {
                attempts: 1,
              });
      await waitFor(
        async () => (await qs.get(queueName).getJob(job.id!))?.finishedOn && calls === 2,
        `${name} re-armed and run`,
      );
      expect(
        logged(REARMED, job.id!).filter((l) => l.jobName === name && l.queue === queueName),
      ).toHaveLength(1);
      if (name === 'ledger.ticket-event') {
        expect(logged(REARMED, job.id!)[0].ids).toEqual({
          type: 'ticket.resolved',
          ticketId: ledgerPayload.event.ticketId,
          claimId: ledgerPayload.event.claimId,
        });
      }
      spy.mockRestore();
    }
  });

  it('leaves failed jobs that are neither timers nor settled by their handler alone', async () => {
    const sync = jest
      .spyOn(t.app.get(CustomerSyncHandler), 'handle')
      .mockRejectedValue(new Error('not a timer'));
    const failed = await queue.add(
      'billing.customer-sync',
      { companyId: randomUUID() },
      { attempts: 1 },
    );
    await waitFor(async () => (await queue.getJob(failed.id!))?.failedReason, 'the job to fail');
    // A timer added after it is swept: the sweep has looked at the failed set since.
    const after = await timer(1);
    await waitFor(async () => runs.get(after.ticketId) === 2, 'a sweep after the job failed');
    expect(sync).toHaveBeenCalledTimes(1);
    const job = (await queue.getJob(failed.id!))!;
    expect(await job.getState()).toBe('failed');
    expect(job.data._meta).toBeUndefined();
    sync.mockRestore();
  });

  // Its retries ran out (~18 h of database errors): no delivery recorded the event and no
  // webhook.failing said so; the company's webhook never got it, and nobody saw.
  it('delivers a ticket event whose fan-out failed for good, once the database takes it, and once', async () => {
    const co = await registerCompany(t, 'Outage');
    const hook = webhookReceiver();
    await t.http
      .put('/v1/companies/me/webhook')
      .set(co.auth)
      .send({ url: await hook.start() })
      .expect(200);
    const deliveries = t.app.get(WebhookDeliveriesRepository);
    const insert = deliveries.insertForEvent.bind(deliveries);
    let refusing = true;
    let tries = 0;
    // The database refuses this company's deliveries, and only them (other tests' go through).
    const spy = jest
      .spyOn(deliveries, 'insertForEvent')
      .mockImplementation(async (em, companyId, ...rest) => {
        if (companyId !== co.companyId) return insert(em, companyId, ...rest);
        tries += 1;
        if (refusing) throw new Error('database said no');
        return insert(em, companyId, ...rest);
      });
    const reason = 'Customer wrote back about order 1234';
    const event = {
      eventId: randomUUID(),
      ticketId: randomUUID(),
      companyId: co.companyId!,
      externalId: 'T-1',
      agentId: null,
      claimId: null,
      occurredAt: new Date().toISOString(),
      data: { reason },
    };
    const deliveriesOfEvent = async () =>
      (await t.db.query('SELECT id FROM webhook_deliveries WHERE event_id = $1', [event.eventId]))
        .length;
    try {
      // As the relay adds its outbox row's job, with its retries already spent.
      const [{ id: rowId }] = await t.db.query(
        `INSERT INTO outbox (job_name, payload, sent_at) VALUES ('ticket.reopened', $1, now())
         RETURNING id`,
        [event],
      );
      const added = await queue.add('ticket.reopened', event, {
        jobId: outboxJobId(rowId),
        attempts: 1,
      });
      // Each sweep tries it again while the database refuses, and does not mark it settled.
      await waitFor(async () => tries >= 3, 'two sweeps to try the fan-out again', {
        timeoutMs: 15_000, // within the test's own timeout, so a failure names what is missing
      });
      expect(await deliveriesOfEvent()).toBe(0);
      expect((await queue.getJob(added.id!))!.data._meta).toBeUndefined();

      refusing = false;
      const received = await waitFor(async () => hook.received[0], 'the event at the webhook');
      expect(JSON.parse(received.body)).toMatchObject({
        id: event.eventId,
        type: 'ticket.reopened',
        data: { ticketId: event.ticketId, sequence: Number(rowId), data: { reason } },
      });
      // The operator's trace: which event (ids, never its free text) was settled late.
      const settled = await waitFor(async () => logged(SETTLED, added.id!)[0], 'the settle log');
      expect(settled).toMatchObject({
        level: 40,
        jobName: 'ticket.reopened',
        ids: { eventId: event.eventId, ticketId: event.ticketId, companyId: co.companyId },
        lastReason: 'database said no',
      });
      expect(JSON.stringify(settled)).not.toContain(reason);
      const job = (await queue.getJob(added.id!))!;
      expect(job.data._meta).toEqual({ gaveUpSettled: job.finishedOn });

      // Run again (a sweep that read it before the mark, a retry from the dashboard): the
      // event keeps its one delivery, sent once.
      const fanOut = t.app.get(WebhookFanOutHandler);
      await expect(fanOut.gaveUp(event, job)).resolves.toBe(false);
      await job.retry('failed');
      await waitFor(async () => (await job.getState()) === 'completed', 'the retried job');
      expect(await deliveriesOfEvent()).toBe(1);
      expect(hook.received).toHaveLength(1);
      expect(logged(SETTLED, added.id!)).toHaveLength(1);

      // Side by side (two sweeps whose locks overlapped, a worker's run): one delivery still.
      const other = { ...event, eventId: randomUUID() };
      const made = await Promise.all([1, 2, 3].map(() => fanOut.gaveUp(other, job)));
      expect(made.filter(Boolean)).toHaveLength(1);
      // A ticket event job added by hand (no outbox row, so no sequence) is not one to settle.
      const byHand = { id: '42', name: 'ticket.reopened' } as Job;
      await expect(fanOut.gaveUp({ ...event, eventId: randomUUID() }, byHand)).resolves.toBe(false);
      await waitFor(async () => hook.received.length === 2, 'the other event at the webhook');
    } finally {
      spy.mockRestore();
      await hook.stop();
    }
  });

  it('reaches a failed timer below more failed jobs than one sweep reads, on a later sweep', async () => {
    // The periodic sweep is paused; sweeps with a budget of 1,000 failed jobs run by hand.
    const live = t.app.get(TimerSweep);
    const paused = jest.spyOn(live, 'sweepIfFirst').mockResolvedValue(null);
    const config = t.app.get(ConfigService);
    const sweep = new TimerSweep(
      t.app.get(QueuesService),
      {
        get: (key: string, options?: object) =>
          key === 'TIMER_SWEEP_MAX_SCANNED' ? 1000 : config.get(key, options),
      } as unknown as ConfigService<Env, true>,
      t.app.get(JobDispatcher),
    );
    try {
      const target = await timer(1);
      await waitFor(async () => (await stateOf(target.jobId)) === 'failed', 'the timer to fail');
      // Then an incident's worth of failures on top of it, each already reported.
      const before = await queue.getFailedCount();
      await queue.addBulk(
        Array.from({ length: 1200 }, () => {
          const ticketId = randomUUID();
          failFirst.set(ticketId, Infinity);
          const reported = { timerReportedAt: new Date().toISOString() };
          return {
            name: 'ticket.sla-check',
            data: { ticketId, _meta: reported },
            opts: { attempts: 1 },
          };
        }),
      );
      await waitFor(
        async () => (await queue.getFailedCount()) >= before + 1200,
        'the 1,200 jobs to fail',
      );
      // The first sweep reads the newest 500 and the next 500: not down to the timer.
      expect((await sweep.sweepOnce()).rearmed).not.toContain(target.jobId);
      // The next goes on from there (reading from the top alone, it was never reached).
      expect((await sweep.sweepOnce()).rearmed).toContain(target.jobId);
      await waitFor(async () => (await stateOf(target.jobId)) === 'completed', 'the timer to run');
    } finally {
      paused.mockRestore();
    }
  });
});

describe('one sweeper at a time across processes', () => {
  let t: TestApp;
  beforeAll(async () => {
    // No workers here: the sweeps below are built by hand, with no periodic loop of their own.
    t = await createTestApp({ env: { TIMER_SWEEP_MS: '60000' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('lets one of several processes sweep per interval', async () => {
    const sweeps = Array.from(
      { length: 4 },
      () =>
        new TimerSweep(
          t.app.get(QueuesService),
          t.app.get(ConfigService),
          t.app.get(JobDispatcher),
        ),
    );
    const results = await Promise.all(sweeps.map((s) => s.sweepIfFirst()));
    expect(results.filter((r) => r !== null)).toEqual([{ rearmed: [], reported: [], settled: [] }]);
    // The lock lasts most of the interval: nobody sweeps again before the next tick.
    expect(await sweeps[0].sweepIfFirst()).toBeNull();
    const queue = t.app.get(QueuesService).get('default');
    const ttl = await t.redis.pttl(queue.toKey('timer-sweep-lock'));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThan(60_000);
    // Once it lapses, the next tick (of any process) sweeps.
    await t.redis.del(queue.toKey('timer-sweep-lock'));
    expect(await sweeps[3].sweepIfFirst()).toEqual({ rearmed: [], reported: [], settled: [] });
  });

  it('keeps the lock through a sweep longer than its hold: no second process sweeps the same set meanwhile', async () => {
    const queue = t.app.get(QueuesService).get('default');
    await t.redis.del(queue.toKey('timer-sweep-lock'));
    // An interval of 1 s (a hold of 900 ms), and a sweep of three jobs taking 600 ms each. (At a
    // third of that, 300 ms and 200 ms a job, a loaded machine's late timer let the hold lapse
    // between two extensions, and the sweep rightly stopped: a flake of the README's run.)
    const config = { get: () => 1000 } as unknown as ConfigService<Env, true>;
    const [a, b] = [0, 1].map(
      () => new TimerSweep(t.app.get(QueuesService), config, t.app.get(JobDispatcher)),
    );
    const failed = ['1', '2', '3'].map((id) => ({ id, name: 'webhook.deliver', data: {} }));
    let first = true;
    jest.spyOn(a as never, 'unsettled').mockImplementation((async () => {
      const jobs = first ? failed : [];
      first = false;
      return jobs;
    }) as never);
    const settled: string[] = [];
    jest.spyOn(a as never, 'settle').mockImplementation((async (job: { id: string }) => {
      await new Promise((resolve) => setTimeout(resolve, 600));
      settled.push(job.id);
    }) as never);
    const sweeping = a.sweepIfFirst();
    await new Promise((resolve) => setTimeout(resolve, 1_200)); // past the hold
    expect(await b.sweepIfFirst()).toBeNull();
    expect(await sweeping).not.toBeNull();
    expect(settled).toEqual(['1', '2', '3']);
  });
});
