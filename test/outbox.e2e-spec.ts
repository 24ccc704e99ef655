import { ConfigService } from '@nestjs/config';
import type { Job, Queue } from 'bullmq';
import { QueuesService } from '../src/modules/jobs/queues.service';
import { OutboxRelay } from '../src/modules/outbox/outbox-relay.service';
import { outboxJobId, OutboxService } from '../src/modules/outbox/outbox.service';
import { createTestApp, TestApp } from './support/test-app';

/** A relay as a worker process would build it, driven by hand instead of by its loop. */
function newRelay(t: TestApp): OutboxRelay {
  return new OutboxRelay(t.db, t.app.get(QueuesService), t.app.get(ConfigService));
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
    let job: Job | undefined;
    for (let i = 0; i < 100 && (await job?.getState()) !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = await queue.getJob(outboxJobId(id));
    }
    expect(await job!.getState()).toBe('completed');
    expect(job!.returnvalue).toEqual({ pong: expect.any(String) });
    expect(job!.attemptsMade).toBe(1);
  });
});
