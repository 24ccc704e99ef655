import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { Env } from '../../config/env.validation';
import { JobDispatcher } from './job-dispatcher.service';
import { JobMeta, splitJobData, withJobMeta } from './job-meta';
import { JOB_QUEUES, JobName, QueueName, TIMER_JOB_NAMES } from './job-registry';
import { QueuesService } from './queues.service';

/** Re-arms per timer job after its own retries ran out; then it is reported and left alone. */
export const MAX_TIMER_REARMS = 3;
// Failed jobs read per page (the failed set keeps 14 days of failures).
const PAGE = 500;
// Beside the queue's keys, like the relay's marker.
const LOCK = 'timer-sweep-lock';
/** Extends the lock by ARGV[2] ms if this process (ARGV[1]) still holds it: 1, else 0. */
const EXTEND_IF_OURS = `if redis.call('get', KEYS[1]) == ARGV[1]
  then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
// Where the next sweep goes on in a failed set larger than one sweep reads (its queue's key).
const CURSOR = 'timer-sweep-cursor';

const TIMER_NAMES: ReadonlySet<string> = new Set(TIMER_JOB_NAMES);

export interface TimerSweepResult {
  /** Job ids given one more attempt. */
  rearmed: string[];
  /** Job ids that used up their re-arms, reported (once) and left in the failed set. */
  reported: string[];
  /** Job ids (not timers) whose handler settled what they left unfinished (HandlesJob.gaveUp). */
  settled: string[];
}

/**
 * A timer (an SLA check, a no-show check, a shift's end…) whose job failed every retry would
 * never act: its ticket would never breach, its seat never free. Every TIMER_SWEEP_MS one worker
 * process (a Redis lock, held for the interval) looks through the failed set for timer jobs and
 * re-arms each (one more attempt; the handlers lock, re-check state and act at most once, so a
 * late or repeated run is safe) up to MAX_TIMER_REARMS times, counted in the job's own data
 * (JobMeta). After that it logs one error naming the job, its ids and the last reason, and
 * leaves the job in the failed set, where the queue dashboard shows it and can retry it.
 *
 * The same pass settles the other jobs that failed for good whose handler has a `gaveUp` (a
 * webhook delivery whose last attempt could not be recorded, or whose worker kept dying, would
 * otherwise stay pending for ever): once it returns, the job is marked in its data
 * (`gaveUpSettled`) and left in the failed set; when it throws, the next sweep tries again.
 */
@Injectable()
export class TimerSweep implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(TimerSweep.name);
  private readonly token = randomUUID();
  private interval: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly queues: QueuesService,
    private readonly config: ConfigService<Env, true>,
    private readonly dispatcher: JobDispatcher,
  ) {}

  /** Jobs (not timers) whose handlers settle a failure for good; read once the table is built. */
  private get settledNames(): ReadonlySet<JobName> {
    return (this.settleable ??= new Set(this.dispatcher.namesWithGaveUp()));
  }
  private settleable: ReadonlySet<JobName> | null = null;

  /** The queues with jobs to sweep: the timers' and those of the jobs with a gaveUp. */
  private get sweptQueues(): QueueName[] {
    const names: JobName[] = [...TIMER_JOB_NAMES, ...this.settledNames];
    return [...new Set(names.map((n) => JOB_QUEUES[n]))].sort();
  }

  private get everyMs(): number {
    return this.config.get('TIMER_SWEEP_MS', { infer: true });
  }

  onApplicationBootstrap(): void {
    this.interval = setInterval(() => {
      if (this.running) return; // the last sweep is still going
      this.running = this.sweepIfFirst()
        .catch((e: unknown) => this.logger.warn({ err: e }, 'timer sweep failed; next interval'))
        .finally(() => (this.running = null));
    }, this.everyMs);
    this.interval.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.interval) clearInterval(this.interval);
    await this.running;
  }

  /**
   * Sweeps unless another process has swept within the interval: the lock is never released,
   * it lapses just before the interval ends (so the process that took it can take it again on
   * its next tick), and the processes share about one sweep per interval. Returns null when it
   * did not sweep.
   */
  async sweepIfFirst(): Promise<TimerSweepResult | null> {
    const queue = this.queues.get('default');
    // BullMQ's client interface has no SET NX; its ioredis client takes ioredis' arguments.
    const redis = (await queue.client) as unknown as Redis;
    const holdMs = Math.floor(this.everyMs * 0.9);
    const key = queue.toKey(LOCK);
    const taken = await redis.set(key, this.token, 'PX', holdMs, 'NX');
    if (taken !== 'OK') return null;
    // A sweep after an incident (thousands of failed jobs, a transaction each) can outlast the
    // hold: it is extended while the sweep goes on, else a second process swept the same set
    // from its own stale copies (a timer re-armed twice, a gaveUp run twice).
    let extendedAt = Date.now();
    return this.sweepOnce(async () => {
      if (Date.now() - extendedAt < holdMs / 3) return true;
      extendedAt = Date.now();
      return (await redis.eval(EXTEND_IF_OURS, 1, key, this.token, holdMs)) === 1;
    });
  }

  /**
   * One pass over the failed sets of the queues with timers or jobs to settle; `holding`, asked
   * before each job, says whether this process may go on (it still holds the sweep's lock).
   */
  async sweepOnce(holding?: () => Promise<boolean>): Promise<TimerSweepResult> {
    const result: TimerSweepResult = { rearmed: [], reported: [], settled: [] };
    const lost = async () => {
      if (!holding || (await holding())) return false;
      this.logger.warn('timer sweep lost its lock (it ran past its hold); the next one goes on');
      return true;
    };
    for (const name of this.sweptQueues) {
      // Before the queue's page is read: reading moves its cursor on.
      if (await lost()) return result;
      // Collected first: re-arming takes jobs out of the set being paged through.
      for (const job of await this.unsettled(name)) {
        if (await lost()) return result;
        try {
          if (TIMER_NAMES.has(job.name)) await this.rearmOrReport(job, result);
          else await this.settle(job, result);
        } catch (e) {
          // Retried or removed meanwhile (the dashboard, another sweep), or the settling failed
          // (the database is down): the next sweep looks again.
          this.logger.warn(
            { err: e, jobId: job.id, jobName: job.name },
            'timer sweep skipped a job',
          );
        }
      }
    }
    return result;
  }

  /**
   * The failed timers not yet reported, and the failed jobs with a gaveUp not yet settled.
   * A sweep reads at most TIMER_SWEEP_MAX_SCANNED failed jobs: half from the top (the newest
   * failures, handled at once), half from where the last sweep stopped, down to the end and
   * then from the top again. Reading from the top alone, a failed set past the budget (an
   * incident's worth of failures, kept 14 days) hid every older timer for good: never
   * re-armed, never reported, its ticket never breached.
   */
  private async unsettled(queueName: QueueName): Promise<Job[]> {
    const queue = this.queues.get(queueName);
    const redis = (await queue.client) as unknown as Redis;
    const half = Math.max(PAGE, Math.floor(this.config.get('TIMER_SWEEP_MAX_SCANNED') / 2));
    const found = new Map<string, Job>();
    const scan = async (from: number): Promise<boolean> => {
      for (let start = from; start < from + half; start += PAGE) {
        const page = await queue.getFailed(start, start + PAGE - 1);
        for (const job of page) {
          if (!job?.id) continue;
          const { meta } = splitJobData(job.data);
          if (TIMER_NAMES.has(job.name) ? !meta.timerReportedAt : this.settles(job, meta)) {
            found.set(job.id, job);
          }
        }
        if (page.length < PAGE) return true; // the end of the set
      }
      return false;
    };
    if (await scan(0)) return [...found.values()];
    const cursorKey = queue.toKey(CURSOR);
    const from = Math.max(half, Number((await redis.get(cursorKey)) ?? half));
    const ended = await scan(from);
    await redis.set(cursorKey, String(ended ? half : from + half));
    if (!ended) {
      this.logger.warn(
        { queue: queueName, scanned: 2 * half, next: from + half },
        'timer sweep read part of a large failed set; the next sweep goes on from there',
      );
    }
    return [...found.values()];
  }

  private settles(job: Job, meta: JobMeta): boolean {
    return this.settledNames.has(job.name as JobName) && meta.gaveUpSettled !== job.finishedOn;
  }

  /** Runs the handler's gaveUp, then marks the failure so that no later sweep runs it again. */
  private async settle(job: Job, result: TimerSweepResult): Promise<void> {
    const { payload, meta } = splitJobData(job.data);
    const changed = await this.dispatcher.gaveUp(job);
    await job.updateData(withJobMeta(payload, { ...meta, gaveUpSettled: job.finishedOn }));
    if (!changed) return; // it had already been settled (its last failure was recorded)
    result.settled.push(job.id!);
    this.logger.warn(
      describe(job, await this.handlersPayload(job), meta),
      'job failed for good; its handler settled what it left',
    );
  }

  /**
   * The payload the report takes its ids from: a ledger booking's is in its outbox row, not in
   * Redis. A row that cannot be read leaves the report with the job's id alone.
   */
  private handlersPayload(job: Job): Promise<unknown> {
    return this.dispatcher.payloadOf(job).catch(() => ({}));
  }

  private async rearmOrReport(job: Job, result: TimerSweepResult): Promise<void> {
    const { payload, meta } = splitJobData(job.data);
    const rearms = meta.timerRearms ?? 0;
    const seen = describe(job, await this.handlersPayload(job), meta);
    if (rearms < MAX_TIMER_REARMS) {
      // Counted before the retry: a crash in between costs a re-arm, never adds one.
      await job.updateData(withJobMeta(payload, { ...meta, timerRearms: rearms + 1 }));
      await job.retry('failed');
      result.rearmed.push(job.id!);
      this.logger.warn(
        { ...seen, rearm: rearms + 1, maxRearms: MAX_TIMER_REARMS },
        'timer job exhausted its retries; re-armed',
      );
      return;
    }
    const reportedAt = new Date().toISOString();
    await job.updateData(withJobMeta(payload, { ...meta, timerReportedAt: reportedAt }));
    result.reported.push(job.id!);
    this.logger.error(
      { ...seen, rearms },
      'timer job failed for good (retries and re-arms used up); left in the failed set',
    );
  }
}

/** What a report names: the job, the ids it acts on, the request behind it, why it failed. */
function describe(job: Job, payload: unknown, meta: JobMeta): Record<string, unknown> {
  return {
    jobName: job.name,
    jobId: job.id,
    queue: job.queueName,
    // The ids it acts on (a ticket, a claim, a delivery…), never free text: a ledger booking's
    // payload carries its event, with the resolution summary or a reopen's reason in it.
    ids: idsOf(payload),
    ...(meta.requestId ? { requestId: meta.requestId } : {}),
    attemptsMade: job.attemptsMade,
    lastReason: job.failedReason,
  };
}

/** The `…Id` fields of a payload, nested ones included (an event's), and its `type`. */
function idsOf(payload: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (value: unknown): void => {
    if (typeof value !== 'object' || value === null) return;
    for (const [key, v] of Object.entries(value)) {
      if (typeof v === 'string' && (key === 'type' || /Id$/.test(key)) && !(key in out)) {
        out[key] = v;
      } else if (typeof v === 'object' && key !== 'data') walk(v);
    }
  };
  walk(payload);
  return out;
}
