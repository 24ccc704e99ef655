import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, OnModuleDestroy, Type } from '@nestjs/common';
import { DelayedError, Job, Worker, WorkerOptions } from 'bullmq';
import { Env } from '../../config/env.validation';
import { OutboxFinishedMarks } from '../outbox/outbox-finished.service';
import { JobDispatcher } from './job-dispatcher.service';
import { JobDeferredError, JobRateLimitedError } from './job-handler';
import { QueueName } from './job-registry';

/** A BullMQ worker for one queue, handing every job to the dispatcher. */
function queueProcessor(queue: QueueName, options: Partial<WorkerOptions>): Type<WorkerHost> {
  @Processor(queue, options)
  class QueueProcessor extends WorkerHost implements OnModuleDestroy {
    private readonly logger = new Logger(`${queue}QueueProcessor`);

    constructor(
      private readonly dispatcher: JobDispatcher,
      private readonly finished: OutboxFinishedMarks,
    ) {
      super();
    }

    async process(job: Job, token?: string): Promise<unknown> {
      try {
        return await this.dispatcher.dispatch(job);
      } catch (e) {
        if (e instanceof JobDeferredError) {
          await job.moveToDelayed(Date.now() + e.delayMs, token);
          throw new DelayedError();
        }
        if (!(e instanceof JobRateLimitedError)) throw e;
        // Every worker of this queue (all processes) waits; the job goes back to the queue.
        await this.worker.rateLimit(e.pauseMs);
        throw Worker.RateLimitError();
      }
    }

    /**
     * Stops taking jobs and waits for those under way, while everything they use is still up.
     * @nestjs/bullmq closes workers only on application shutdown, after every module was
     * destroyed: the finish marks of the jobs that completed then were never written, and
     * their rows waited for the reconciler (those due over 20 hours before, for good).
     */
    async onModuleDestroy(): Promise<void> {
      await this.worker.close();
    }

    @OnWorkerEvent('completed')
    onCompleted(job: Job): void {
      this.finished.onJobEvent(job, 'completed');
    }

    // Without a listener BullMQ prints these (lost Redis connection, a lock it could not renew)
    // to console.error; the job itself is retried or picked up again as stalled.
    @OnWorkerEvent('error')
    onError(e: Error): void {
      this.logger.warn({ err: e }, 'queue worker error');
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
 * concurrency (WEBHOOK_CONCURRENCY), of which one company holds at most its share
 * (CompanyDeliverySlots): a slow receiver delays nothing else.
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
    queueProcessor('webhooks', { concurrency: env.WEBHOOK_CONCURRENCY, ...locks }),
    // A stored Stripe event is applied under its row's lock with Stripe's current state read
    // inside the transaction (so the last writer read last): each holds a pool connection for
    // a Stripe call (up to STRIPE_TIMEOUT_MS). Two at a time: a burst (a billing sweep's
    // invoice events, `cli stripe:replay`) cannot take the pool (8) from the API beside them.
    queueProcessor('stripe-events', { concurrency: 2, ...locks }),
    // Invoices: a close's burst waits here, not in `default`. Each job makes several Stripe
    // calls with short transactions between them; four at a time keep a burst moving without
    // taking the pool from the API. (A billing job still in `default` from before this queue
    // existed is run there: a worker dispatches by job name, whatever its queue.)
    queueProcessor('billing', { concurrency: 4, ...locks }),
    // Stripe's rate is held at each call by StripePacer (stripe module), not by a queue
    // limiter (its fixed windows gate job starts, not calls: see the pacer). Jobs in flight
    // must cover the rate times a job's duration (two transactions and a Stripe call, ~75 ms at
    // 50k lines; 8 held a 100/s limit to ~80/s): a quarter of a second's worth, so the pacer,
    // not the slots, is the bound.
    queueProcessor('payouts', {
      concurrency: Math.max(8, Math.ceil(env.STRIPE_RATE_PER_SECOND / 4)),
      ...locks,
    }),
  ];
}
