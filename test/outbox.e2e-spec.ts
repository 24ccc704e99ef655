import { ConfigService } from '@nestjs/config';
import { Client } from 'pg';
import { type Job, type Queue, Worker } from 'bullmq';
import { PingHandler } from '../src/modules/jobs/ping.handler';
import { QueuesService } from '../src/modules/jobs/queues.service';
import { redisOptionsFromUrl } from '../src/modules/jobs/redis-options';
import { OutboxFinishedMarks } from '../src/modules/outbox/outbox-finished.service';
import { OutboxRepository } from '../src/modules/outbox/outbox.repository';
import { OutboxReconciler } from '../src/modules/outbox/outbox-reconciler.service';
import { EventsService } from '../src/modules/events/events.service';
import { OutboxRelay, RELAY_ADD_TIMEOUT_MS } from '../src/modules/outbox/outbox-relay.service';
import { outboxJobId, OutboxService } from '../src/modules/outbox/outbox.service';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor, waitUntil } from './support/wait-for';

/** A relay as a worker process would build it, driven by hand instead of by its loop. */
function newRelay(t: TestApp): OutboxRelay {
  // Built by hand: tests drive it without its loop (the repository is stateless).
  return new OutboxRelay(
    t.db,
    t.app.get(QueuesService),
    t.app.get(ConfigService),
    new OutboxRepository(),
  );
}

async function jobsInQueue(queue: Queue): Promise<number> {
  const counts = await queue.getJobCounts(
    'waiting',
    'delayed',
    'active',
    'completed',
    'failed',
    'prioritized',
  );
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

const unsent = async (t: TestApp) =>
  (await t.db.query('SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL'))[0].n as number;

/** What a Redis restarted without persistence looks like to the relay: every key gone. */
async function loseRedisData(t: TestApp, queue: Queue): Promise<void> {
  await queue.obliterate({ force: true });
  const keys = await t.redis.keys(`${queue.qualifiedName}:*`);
  if (keys.length > 0) await t.redis.del(...keys);
}

const finishedAt = async (t: TestApp, id: string) =>
  (await t.db.query('SELECT finished_at FROM outbox WHERE id = $1', [id]))[0]
    .finished_at as Date | null;

describe('transactional outbox', () => {
  let t: TestApp;
  let outbox: OutboxService;
  let queue: Queue;
  beforeAll(async () => {
    t = await createTestApp(); // no workers: jobs stay in the queue where we can count them
    outbox = t.app.get(OutboxService);
    queue = t.app.get(QueuesService).get('default');
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(async () => {
    await queue.obliterate({ force: true });
    await t.db.query('DELETE FROM outbox');
  });

  const ping = () => ({ requestedAt: new Date().toISOString() });

  it('commit → exactly one job, however often the relay runs', async () => {
    const id = await t.db.transaction((em) => outbox.enqueue(em, 'system.ping', ping()));
    const relay = newRelay(t);
    expect(await relay.relayOnce()).toBe(1);
    expect(await relay.relayOnce()).toBe(0);
    const job = (await queue.getJob(outboxJobId(id))) as Job;
    expect(job.name).toBe('system.ping');
    expect(await jobsInQueue(queue)).toBe(1);
    expect(await unsent(t)).toBe(0);
  });

  it('rollback → no job', async () => {
    await expect(
      t.db.transaction(async (em) => {
        await outbox.enqueue(em, 'system.ping', ping());
        throw new Error('business rule failed after the job was written');
      }),
    ).rejects.toThrow('business rule failed');
    expect(await newRelay(t).relayOnce()).toBe(0);
    expect(await jobsInQueue(queue)).toBe(0);
  });

  it('a relay that dies after adding but before marking sent → still exactly one job', async () => {
    const id = await t.db.transaction((em) => outbox.enqueue(em, 'system.ping', ping()));
    const crashing = newRelay(t);
    jest
      .spyOn(crashing as unknown as { markSent: () => Promise<void> }, 'markSent')
      .mockRejectedValueOnce(new Error('process killed'));
    await expect(crashing.relayOnce()).rejects.toThrow('process killed');
    expect(await jobsInQueue(queue)).toBe(1); // the add reached Redis
    expect(await unsent(t)).toBe(1); // but the row was not marked

    const restarted = newRelay(t);
    expect(await restarted.relayOnce()).toBe(1);
    expect(await jobsInQueue(queue)).toBe(1);
    expect(await queue.getJob(outboxJobId(id))).toBeDefined();
    expect(await unsent(t)).toBe(0);
  });

  it('a relay whose Redis stops answering gives up within its timeout, holding back no event for longer', async () => {
    const id = await t.db.transaction((em) => outbox.enqueue(em, 'system.ping', ping()));
    const relay = newRelay(t);
    // Redis takes the command and never answers (a paused server, a partition with no reset).
    const hung = jest.spyOn(queue, 'addBulk').mockReturnValueOnce(new Promise(() => undefined));
    const started = Date.now();
    const pass = relay.relayOnce();
    pass.catch(() => undefined);
    await waitFor(async () => hung.mock.calls.length === 1, 'the relay to wait on Redis');
    // An event committed while the pass waits, by a transaction younger than the pass's: the
    // sequencer positions it only once no older transaction runs.
    const agentId = crypto.randomUUID();
    await t.db.transaction((em) =>
      t.app.get(EventsService).record(em, { type: 'test.relay', agentId, data: {} }),
    );
    await expect(pass).rejects.toThrow(`within ${RELAY_ADD_TIMEOUT_MS} ms`);
    expect(Date.now() - started).toBeLessThan(RELAY_ADD_TIMEOUT_MS + 1_000);
    await waitFor(
      async () =>
        (await t.db.query(`SELECT position FROM events WHERE agent_id = $1`, [agentId]))[0]
          ?.position != null,
      'the event positioned',
      3_000,
    );
    // The row was not marked sent: the next pass sends it.
    expect(await unsent(t)).toBe(1);
    hung.mockRestore();
    expect(await relay.relayOnce()).toBe(1);
    expect(await queue.getJob(outboxJobId(id))).toBeDefined();
  });

  it('several relays racing share the rows without duplicating any job', async () => {
    await t.db.transaction(async (em) => {
      for (let i = 0; i < 300; i++) await outbox.enqueue(em, 'system.ping', ping());
    });
    const relays = [newRelay(t), newRelay(t), newRelay(t)];
    const drain = async (r: OutboxRelay) => {
      let total = 0;
      for (let n = await r.relayOnce(); n > 0; n = await r.relayOnce()) total += n;
      return total;
    };
    const relayed = await Promise.all(relays.map(drain));
    expect(relayed.reduce((a, b) => a + b, 0)).toBe(300);
    expect(await jobsInQueue(queue)).toBe(300);
  });

  it('delays a job until its runAt', async () => {
    const runAt = new Date(Date.now() + 60_000);
    const id = await t.db.transaction((em) => outbox.enqueue(em, 'system.ping', ping(), { runAt }));
    await newRelay(t).relayOnce();
    const job = (await queue.getJob(outboxJobId(id))) as Job;
    expect(await job.getState()).toBe('delayed');
    expect(job.opts.delay).toBeGreaterThan(55_000);
    expect(job.opts.delay).toBeLessThanOrEqual(60_000);
  });

  it('relays timers weeks away (delays beyond a 32-bit millisecond count)', async () => {
    const runAt = new Date(Date.now() + 30 * 86_400_000);
    const id = await t.db.transaction((em) => outbox.enqueue(em, 'system.ping', ping(), { runAt }));
    expect(await newRelay(t).relayOnce()).toBe(1);
    const job = (await queue.getJob(outboxJobId(id))) as Job;
    expect(job.opts.delay).toBeGreaterThan(29 * 86_400_000);
  });

  it('Redis back without its data → unfinished jobs relayed again, with their timers', async () => {
    const soon = await t.db.transaction((em) => outbox.enqueue(em, 'system.ping', ping()));
    const done = await t.db.transaction((em) => outbox.enqueue(em, 'system.ping', ping()));
    const runAt = new Date(Date.now() + 3_600_000);
    const timer = await t.db.transaction((em) =>
      outbox.enqueue(em, 'system.ping', ping(), { runAt }),
    );
    const relay = newRelay(t);
    expect(await relay.relayOnce()).toBe(3);
    // A worker finished one of them before the loss.
    await t.db.query('UPDATE outbox SET finished_at = now() WHERE id = $1', [done]);

    expect(await relay.relayOnce()).toBe(0); // Redis intact: nothing to do
    expect(await jobsInQueue(queue)).toBe(3);

    await loseRedisData(t, queue);
    expect(await jobsInQueue(queue)).toBe(0);
    expect(await relay.relayOnce()).toBe(2);
    expect(await queue.getJob(outboxJobId(soon))).toBeDefined();
    expect(await queue.getJob(outboxJobId(done))).toBeUndefined();
    const rearmed = (await queue.getJob(outboxJobId(timer))) as Job;
    expect(await rearmed.getState()).toBe('delayed');
    expect(rearmed.opts.delay).toBeGreaterThan(3_500_000); // still due at its run_at
    expect(rearmed.opts.delay).toBeLessThanOrEqual(3_600_000);

    // Recovered once: the next passes find the marker again.
    expect(await relay.relayOnce()).toBe(0);
    expect(await newRelay(t).relayOnce()).toBe(0);
    expect(await jobsInQueue(queue)).toBe(2);
  });

  it('two relays noticing the loss at once still leave one job per row', async () => {
    await t.db.transaction(async (em) => {
      for (let i = 0; i < 50; i++) await outbox.enqueue(em, 'system.ping', ping());
    });
    expect(await newRelay(t).relayOnce()).toBe(50);
    await loseRedisData(t, queue);
    await Promise.all([newRelay(t).relayOnce(), newRelay(t).relayOnce()]);
    await newRelay(t).relayOnce();
    expect(await jobsInQueue(queue)).toBe(50);
    expect(await unsent(t)).toBe(0);
  });

  it('Redis lost only its last writes (the marker kept), or a finish mark was lost: the reconciler puts each row right', async () => {
    const [lost, done, broke, waiting, old, late] = await t.db.transaction(async (em) => [
      await outbox.enqueue(em, 'system.ping', ping()),
      await outbox.enqueue(em, 'system.ping', ping()),
      await outbox.enqueue(em, 'system.ping', ping()),
      await outbox.enqueue(em, 'system.ping', ping()),
      await outbox.enqueue(em, 'system.ping', ping()),
      await outbox.enqueue(em, 'system.ping', ping()),
    ]);
    const relay = newRelay(t);
    expect(await relay.relayOnce()).toBe(6);
    // Redis keeps its marker but not `lost`'s job (nor `old`'s, sent two days ago, nor `late`'s,
    // due 21 hours ago and relayed only now, the workers having been down); `done` ran and
    // completed, its worker dying before its finish mark was written.
    for (const id of [lost, old, late]) await (await queue.getJob(outboxJobId(id)))!.remove();
    const worker = new Worker('default', null, {
      connection: redisOptionsFromUrl(t.env.REDIS_URL),
      prefix: t.env.QUEUE_PREFIX,
    });
    try {
      const job = (await worker.getNextJob('token'))!;
      expect(job.id).toBe(outboxJobId(done));
      await job.moveToCompleted('ok', 'token', false);
      // `broke` failed for good, its mark lost the same way.
      const failing = (await worker.getNextJob('token'))!;
      expect(failing.id).toBe(outboxJobId(broke));
      failing.discard();
      await failing.moveToFailed(new Error('broken'), 'token', false);
      expect(await failing.getState()).toBe('failed');
    } finally {
      await worker.close();
    }
    await t.db.query(
      `UPDATE outbox SET sent_at = now() - interval '10 minutes',
                         run_at = now() - interval '10 minutes'`,
    );
    await t.db.query(
      `UPDATE outbox SET run_at = now() - interval '2 days', sent_at = now() - interval '2 days'
        WHERE id = $1`,
      [old],
    );
    await t.db.query(`UPDATE outbox SET run_at = now() - interval '21 hours' WHERE id = $1`, [
      late,
    ]);
    const reconciler = new OutboxReconciler(t.db, t.app.get(QueuesService), new OutboxRepository());
    expect(await reconciler.reconcileOnce()).toEqual({ finished: 2, resent: 2 });
    expect(await finishedAt(t, done)).toBeInstanceOf(Date);
    expect(await finishedAt(t, broke)).toBeInstanceOf(Date);
    const failed = await t.db.query('SELECT id FROM outbox WHERE failed');
    expect(failed).toEqual([{ id: broke }]);
    const sentAt = async (id: string) =>
      (await t.db.query('SELECT sent_at FROM outbox WHERE id = $1', [id]))[0].sent_at;
    expect(await sentAt(lost)).toBeNull();
    // Sent 10 minutes ago, so it cannot have completed and been let go a day since: lost.
    expect(await sentAt(late)).toBeNull();
    // Still waiting in Redis: left as it is; too old to tell lost from run and let go: left.
    expect(await sentAt(waiting)).toBeInstanceOf(Date);
    expect(await sentAt(old)).toBeInstanceOf(Date);
    expect(await relay.relayOnce()).toBe(2);
    expect(await queue.getJob(outboxJobId(lost))).toBeDefined();
    // Nothing left to put right.
    expect(await reconciler.reconcileOnce()).toEqual({ finished: 0, resent: 0 });
  });

  it('finds a billing job the release before the billing queue left on `default`: not lost, not sent twice', async () => {
    const payload = { companyId: '6b1f3a9e-2c4d-4e8f-9a0b-1c2d3e4f5a6b' };
    const id = await t.db.transaction((em) => outbox.enqueue(em, 'billing.customer-sync', payload));
    // As that release sent it: on `default`, waiting out a retry's backoff.
    const job = await queue.add('billing.customer-sync', payload, {
      jobId: outboxJobId(id),
      delay: 3_600_000,
    });
    try {
      await t.db.query(
        `UPDATE outbox SET sent_at = now() - interval '10 minutes',
                           run_at = now() - interval '10 minutes' WHERE id = $1`,
        [id],
      );
      const reconciler = new OutboxReconciler(
        t.db,
        t.app.get(QueuesService),
        new OutboxRepository(),
      );
      expect(await reconciler.reconcileOnce()).toEqual({ finished: 0, resent: 0 });
      const [row] = await t.db.query('SELECT sent_at FROM outbox WHERE id = $1', [id]);
      expect(row.sent_at).toBeInstanceOf(Date);
    } finally {
      await job.remove();
    }
  });

  it('marks a row finished when its job completes or fails for good, not while it retries', async () => {
    const ids = await t.db.transaction(async (em) => [
      await outbox.enqueue(em, 'system.ping', ping()),
      await outbox.enqueue(em, 'system.ping', ping()),
      await outbox.enqueue(em, 'system.ping', ping()),
    ]);
    const marks = new OutboxFinishedMarks(t.db, new OutboxRepository());
    const job = (id: string, finishedOn?: number) =>
      ({ id: outboxJobId(id), finishedOn }) as unknown as Job;
    marks.onJobEvent(job(ids[0]), 'completed');
    marks.onJobEvent(job(ids[1]), 'failed'); // attempts left: BullMQ will retry it
    marks.onJobEvent(job(ids[2], Date.now()), 'failed'); // no attempts left
    marks.onJobEvent({ id: 'not-from-the-outbox' } as Job, 'completed');
    await marks.beforeApplicationShutdown(); // flushes
    expect(await finishedAt(t, ids[0])).toBeInstanceOf(Date);
    expect(await finishedAt(t, ids[1])).toBeNull();
    expect(await finishedAt(t, ids[2])).toBeInstanceOf(Date);
    // Which way each finished: the failed row is kept longer (the prune, above).
    const failed = await t.db.query(
      'SELECT id, failed FROM outbox WHERE id = ANY($1) ORDER BY id',
      [ids],
    );
    expect(failed.map((r: { failed: boolean }) => r.failed)).toEqual([false, false, true]);

    // The failed job retried (the dashboard, the sweep) fails again days later: the mark moves
    // to that failure, which Redis keeps the job 14 days from. Completed after all: not failed.
    await t.db.query(
      `UPDATE outbox SET finished_at = finished_at - interval '10 days' WHERE id = ANY($1)`,
      [[ids[0], ids[2]]],
    );
    const marked = async () =>
      t.db.query(
        `SELECT id, failed, finished_at > now() - interval '1 minute' AS recent
           FROM outbox WHERE id = ANY($1) ORDER BY id`,
        [[ids[0], ids[2]]],
      );
    marks.onJobEvent(job(ids[2], Date.now()), 'failed');
    marks.onJobEvent(job(ids[0]), 'completed'); // a completed row's mark stays as it was
    await marks.beforeApplicationShutdown();
    expect(await marked()).toEqual([
      { id: ids[0], failed: false, recent: false },
      { id: ids[2], failed: true, recent: true },
    ]);
    marks.onJobEvent(job(ids[2]), 'completed');
    await marks.beforeApplicationShutdown();
    expect((await marked())[1]).toEqual({ id: ids[2], failed: false, recent: true });
  });

  it('prunes finished rows after a week, and a row whose job failed for good after 16 days: Redis keeps that job 14, and it may still be retried and read its payload from the row', async () => {
    const ids = await t.db.transaction(async (em) => {
      const out: string[] = [];
      for (let i = 0; i < 6; i++) out.push(await outbox.enqueue(em, 'ticket.message', {} as never));
      return out;
    });
    const age = async (id: string, days: number, finish: 'completed' | 'failed' | null) =>
      t.db.query(
        `UPDATE outbox SET run_at = now() - make_interval(days => $2),
                           sent_at = now() - make_interval(days => $2),
                           finished_at = CASE WHEN $3::text IS NOT NULL
                                              THEN now() - make_interval(days => $2) END,
                           failed = $3::text IS NOT DISTINCT FROM 'failed'
          WHERE id = $1`,
        [id, days, finish],
      );
    await age(ids[0], 8, 'completed'); // gone
    await age(ids[1], 3, 'completed'); // kept
    await age(ids[2], 8, 'failed'); // its job is still in the failed set: kept
    await age(ids[3], 17, 'failed'); // past the failed set's 14 days: gone
    await age(ids[4], 8, null); // its finish mark was lost a week ago: gone
    await age(ids[5], 3, null); // kept
    await newRelay(t)['pruneSent']();
    const left = await t.db.query('SELECT id FROM outbox ORDER BY id');
    expect(left.map((r: { id: string }) => r.id)).toEqual([ids[1], ids[2], ids[5]]);
  });

  it('prunes in short batches, each its own statement: no transaction held open for the whole prune', async () => {
    const ids = await t.db.transaction(async (em) => {
      const out: string[] = [];
      for (let i = 0; i < 5; i++) out.push(await outbox.enqueue(em, 'system.ping', ping()));
      return out;
    });
    await t.db.query(
      `UPDATE outbox SET run_at = now() - interval '8 days', sent_at = now() - interval '8 days',
                         finished_at = now() - interval '8 days' WHERE id = ANY($1::bigint[])`,
      [ids],
    );
    // One DELETE of them all held back the events sequencer (pg_snapshot_xmin) until it ended.
    const query = jest.spyOn(t.db.manager, 'query');
    try {
      const gone = await new OutboxRepository().deleteSentBefore(t.db.manager, 7, 16, 2);
      expect(gone).toBe(5);
      const deletes = query.mock.calls.filter(([sql]) => /^\s*DELETE/.test(sql));
      expect(deletes).toHaveLength(3); // 2, 2, 1
    } finally {
      query.mockRestore();
    }
    expect(await t.db.query('SELECT id FROM outbox WHERE id = ANY($1::bigint[])', [ids])).toEqual(
      [],
    );
  });

  it('leaves rows of unknown jobs (a newer release) waiting without blocking the rest', async () => {
    await t.db.query(`INSERT INTO outbox (job_name, payload) VALUES ('from.the.future', '{}')`);
    await t.db.transaction((em) => outbox.enqueue(em, 'system.ping', ping()));
    expect(await newRelay(t).relayOnce()).toBe(1);
    expect(await unsent(t)).toBe(1);
  });
});

describe('outbox → relay → worker, end to end', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ workers: true });
  });
  afterAll(async () => {
    await t.close();
  });

  it('runs a committed job once, woken by NOTIFY', async () => {
    const id = await t.db.transaction((em) =>
      t.app
        .get(OutboxService)
        .enqueue(em, 'system.ping', { requestedAt: new Date().toISOString() }),
    );
    const queue = t.app.get(QueuesService).get('default');
    await waitUntil(
      async () => (await (await queue.getJob(outboxJobId(id)))?.getState()) ?? 'missing',
      (state) => state === 'completed',
      'the ping job to complete',
      10_000,
    );
    // Fetched once completed (a Job object is the snapshot read, maybe while still active).
    const job = await queue.getJob(outboxJobId(id));
    expect(job!.returnvalue).toEqual({ pong: expect.any(String) });
    expect(job!.attemptsMade).toBe(1);
    // The worker records that the job is done (what a Redis data loss would not re-run).
    await waitFor(() => finishedAt(t, id), 'the worker to record the job finished', 5_000);
    expect(await finishedAt(t, id)).toBeInstanceOf(Date);
  });
});

describe('a relay woken while it is relaying', () => {
  it('relays a row committed during its pass right after it, not a poll later', async () => {
    const w = await createTestApp({ workers: true, env: { OUTBOX_POLL_MS: '600000' } });
    try {
      const relay = w.app.get(OutboxRelay) as unknown as {
        listener: unknown;
        rows: OutboxRepository;
        markSent: (em: unknown, ids: string[]) => Promise<void>;
      };
      await waitFor(async () => relay.listener !== null, 'the relay listening');
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let entered!: () => void;
      const inPass = new Promise<void>((resolve) => (entered = resolve));
      jest.spyOn(relay, 'markSent').mockImplementationOnce(async (em, ids) => {
        entered();
        await gate;
        await relay.rows.markSent(em as never, ids);
      });
      const enqueue = () =>
        w.db.transaction((em) =>
          w.app.get(OutboxService).enqueue(em, 'system.ping', { requestedAt: 'now' }),
        );
      await enqueue();
      await inPass;
      // Committed while the pass runs: its NOTIFY, heard before the pass ends, finds no sleep
      // to end.
      let heard = 0;
      (relay.listener as Client).on('notification', () => heard++);
      const late = await enqueue();
      await waitFor(async () => heard > 0, 'the relay to hear of the late row');
      release();
      const queue = w.app.get(QueuesService).get('default');
      await waitFor(
        async () => (await queue.getJob(outboxJobId(late))) !== undefined,
        'the late row relayed (the poll is ten minutes away)',
        5_000,
      );
    } finally {
      await w.close();
    }
  });
});

/*
 * A worker process on a deploy: the jobs under way finish while it closes, and their finish
 * marks must be written before the database closes. They were not (the workers closed after
 * the marks' last flush): every such row waited for the reconciler, and one due more than its
 * window before (a webhook's later retries) stayed unfinished for good.
 */
describe('a worker process shutting down', () => {
  it('records the finish of the jobs that complete while it closes', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let started!: () => void;
    const active = new Promise<void>((resolve) => (started = resolve));
    const handle = jest.spyOn(PingHandler.prototype, 'handle').mockImplementation(async () => {
      started();
      await gate;
      return { pong: 'after the close began' };
    });
    const w = await createTestApp({ workers: true, env: { OUTBOX_POLL_MS: '100' } });
    // And the first write of the marks at shutdown fails (a database hiccup during the deploy).
    const write = jest
      .spyOn(OutboxRepository.prototype, 'markFinished')
      .mockRejectedValueOnce(new Error('connection reset'));
    try {
      const id = await w.db.transaction((em) =>
        w.app.get(OutboxService).enqueue(em, 'system.ping', {
          requestedAt: new Date().toISOString(),
        }),
      );
      await active;
      const closing = w.close();
      await new Promise((resolve) => setTimeout(resolve, 300)); // the close is under way
      open();
      await closing;
      const db = new Client({ connectionString: w.env.DATABASE_URL });
      await db.connect();
      try {
        const { rows } = await db.query('SELECT finished_at FROM outbox WHERE id = $1', [id]);
        expect(rows[0].finished_at).toBeInstanceOf(Date);
      } finally {
        await db.end();
      }
      expect(write).toHaveBeenCalledTimes(2);
    } finally {
      handle.mockRestore();
      write.mockRestore();
    }
  });
});
