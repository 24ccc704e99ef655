import type { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { JOB_QUEUES, QueueName, TIMER_JOB_NAMES, TimerJobName } from '../jobs/job-registry';

/** A timer this long past its moment and not yet run is overdue. */
export const TIMER_GRACE_MS = 60_000;

/** The queues timers run on. */
export const TIMER_QUEUES = [...new Set(TIMER_JOB_NAMES.map((j) => JOB_QUEUES[j]))] as QueueName[];

// Scrapes stay cheap whatever the backlog: past these, the gauges read "at least".
const MAX_OVERDUE_READ = 1000;
const MAX_FAILED_READ = 5000;

const isTimer = (name: string | null): name is TimerJobName =>
  (TIMER_JOB_NAMES as readonly (string | null)[]).includes(name);

/**
 * Timer jobs of one queue in Redis: delayed ones whose moment passed more than TIMER_GRACE_MS
 * ago (no worker promoted them: none runs, or none reaches Redis), and failed ones (retries
 * exhausted; the ops sweep re-arms or reports them), by job name.
 * BullMQ orders its delayed set by due time with the score `timestamp * 0x1000 + n`
 * (getDelayedScore.lua), so the overdue ones are one range read.
 */
export async function timerJobsIn(
  queue: Queue,
  now = Date.now(),
): Promise<{ overdue: Map<TimerJobName, number>; failed: Map<TimerJobName, number> }> {
  const client = await redisOf(queue);
  const dueBefore = (now - TIMER_GRACE_MS) * 0x1000;
  const [overdueIds, failedIds] = await Promise.all([
    client.zrangebyscore(queue.keys.delayed, '-inf', `(${dueBefore}`, 'LIMIT', 0, MAX_OVERDUE_READ),
    client.zrevrange(queue.keys.failed, 0, MAX_FAILED_READ - 1),
  ]);
  return {
    overdue: countTimers(await namesOf(queue, overdueIds)),
    failed: countTimers(await namesOf(queue, failedIds)),
  };
}

async function namesOf(queue: Queue, ids: string[]): Promise<(string | null)[]> {
  if (ids.length === 0) return [];
  const client = await redisOf(queue);
  const pipeline = client.pipeline();
  for (const id of ids) pipeline.hget(queue.toKey(id), 'name');
  const results = (await pipeline.exec()) ?? [];
  return results.map(([err, name]) => (err ? null : (name as string | null)));
}

/** The queue's ioredis connection (BullMQ's client interface declares too few commands). */
async function redisOf(queue: Queue): Promise<Redis> {
  return (await queue.client) as unknown as Redis;
}

function countTimers(names: (string | null)[]): Map<TimerJobName, number> {
  const counts = new Map<TimerJobName, number>(TIMER_JOB_NAMES.map((j) => [j, 0]));
  for (const name of names) if (isTimer(name)) counts.set(name, counts.get(name)! + 1);
  return counts;
}
