import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Type } from '@nestjs/common';
import type { Job, WorkerOptions } from 'bullmq';
import { Env } from '../../config/env.validation';
import { JobDispatcher } from './job-dispatcher.service';
import { QueueName } from './job-registry';

/** A BullMQ worker for one queue, handing every job to the dispatcher. */
function queueProcessor(queue: QueueName, options: Partial<WorkerOptions>): Type<WorkerHost> {
  @Processor(queue, options)
  class QueueProcessor extends WorkerHost {
    constructor(private readonly dispatcher: JobDispatcher) {
      super();
    }

    process(job: Job): Promise<unknown> {
      return this.dispatcher.dispatch(job);
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
    // Stripe allows so many calls a second; the limiter holds every worker process to it.
    queueProcessor('payouts', {
      concurrency: 8,
      limiter: { max: env.STRIPE_RATE_PER_SECOND, duration: 1000 },
      ...locks,
    }),
  ];
}
