import { SetMetadata } from '@nestjs/common';
import type { Job } from 'bullmq';
import { JobName, JobPayloads } from './job-registry';

export const JOB_HANDLER_KEY = 'handoff:jobHandler';

/**
 * Marks a provider as the handler of one or more jobs (it then receives the job to tell them
 * apart). Handlers must be idempotent: BullMQ delivers at
 * least once (a stalled job runs again), so check state first and make effects conditional.
 */
export const JobHandler = (...names: JobName[]) => SetMetadata(JOB_HANDLER_KEY, names);

export interface HandlesJob<N extends JobName> {
  handle(payload: JobPayloads[N], job: Job<JobPayloads[N]>): Promise<unknown>;
  /**
   * Settles what a job left unfinished once it failed for good: its retries ran out, or its
   * worker kept dying under it (BullMQ fails a job that stalls more than maxStalledCount times).
   * The worker's TimerSweep calls it for each such job until it returns, then not again for that
   * failure (a listener on the worker's `failed` event would miss a failure when its process
   * died first). Like `handle`, it must be idempotent and check that the state it settles is the
   * one this job left (a newer job may have taken over since). True when it changed something.
   */
  gaveUp?(payload: JobPayloads[N], job: Job<JobPayloads[N]>): Promise<boolean>;
}

/**
 * Thrown by a handler that must not run now for a reason of ours (its company already holds its
 * share of the queue's slots): the job goes back to the delayed set for `delayMs`, without
 * spending an attempt, and the slot takes the next job.
 */
export class JobDeferredError extends Error {
  constructor(readonly delayMs: number) {
    super(`deferred ${delayMs} ms`);
    this.name = 'JobDeferredError';
  }
}

/**
 * Thrown by a handler when the service it calls refused for rate (Stripe's 429): the worker
 * pauses its queue for `pauseMs` and puts the job back, without spending one of its attempts
 * or waiting out its backoff.
 */
export class JobRateLimitedError extends Error {
  constructor(readonly pauseMs: number) {
    super(`rate limited; queue paused ${pauseMs} ms`);
    this.name = 'JobRateLimitedError';
  }
}
