import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Type } from '@nestjs/common';
import { Job, Worker, WorkerOptions } from 'bullmq';
import { Env } from '../../config/env.validation';
import { OutboxFinishedMarks } from '../outbox/outbox-finished.service';
import { JobDispatcher } from './job-dispatcher.service';
import { JobRateLimitedError } from './job-handler';
import { QueueName } from './job-registry';

/** A BullMQ worker for one queue, handing every job to the dispatcher. */
function queueProcessor(queue: QueueName, options: Partial<WorkerOptions>): Type<WorkerHost> {
  @Processor(queue, options)
  class QueueProcessor extends WorkerHost {
    constructor(
      private readonly dispatcher: JobDispatcher,
      private readonly finished: OutboxFinishedMarks,
    ) {
      super();
    }

    async process(job: Job): Promise<unknown> {
      try {
        return await this.dispatcher.dispatch(job);
      } catch (e) {
        if (!(e instanceof JobRateLimitedError)) throw e;
        // Every worker of this queue (all processes) waits; the job goes back to the queue.
        await this.worker.rateLimit(e.pauseMs);
        throw Worker.RateLimitError();
      }
    }

    @OnWorkerEvent('completed')
    onCompleted(job: Job): void {
      this.finished.onJobEvent(job, 'completed');
    }

    @OnWorkerEvent('failed')
    onFailed(job: Job | undefined): void {
      if (job) this.finished.onJobEvent(job, 'failed');
    }
  }
  Object.defineProperty(QueueProcessor, 'name', { value: `${queue}QueueProcessor` });
  return QueueProcessor;
}

/**
 * One worker per queue; only loaded in processes that run workers (not with WORKERS=off).
 * Webhook deliveries wait on other companies' servers, so they get their own queue and a high
 * concurrency: a slow receiver delays nothing else.
 */
export function queueProcessors(env: Env): Type<WorkerHost>[] {
  // A job whose worker died is picked up again after this long (the crash drill shortens it).
  const locks = {
    lockDuration: env.JOB_LOCK_MS,
    stalledInterval: env.JOB_LOCK_MS,
    // A job whose worker keeps dying is retried, not failed: handlers are idempotent.
    maxStalledCount: 10,
  };
  return [
    queueProcessor('default', { concurrency: 8, ...locks }),
    queueProcessor('webhooks', { concurrency: 32, ...locks }),
    // Stripe allows so many calls a second; the limiter holds every worker process to it. In
    // tenths of a second: BullMQ's windows are fixed, so R per 1000 ms could put 2R calls in
    // one sliding second across a window edge, and Stripe would answer 429.
    queueProcessor('payouts', {
      concurrency: 8,
      limiter: stripeLimiter(env.STRIPE_RATE_PER_SECOND),
      ...locks,
    }),
  ];
}

/** R calls a second in the shortest window that holds a whole number of them (25/s: 5 per 200 ms). */
export function stripeLimiter(perSecond: number): { max: number; duration: number } {
  const duration = [100, 200, 250, 500, 1000].find((d) => (perSecond * d) % 1000 === 0) ?? 1000;
  return { max: (perSecond * duration) / 1000, duration };
}
