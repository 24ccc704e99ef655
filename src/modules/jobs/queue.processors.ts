import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Type } from '@nestjs/common';
import type { Job } from 'bullmq';
import { JobDispatcher } from './job-dispatcher.service';
import { QueueName } from './job-registry';

/** A BullMQ worker for one queue, handing every job to the dispatcher. */
function queueProcessor(queue: QueueName, concurrency: number): Type<WorkerHost> {
  @Processor(queue, { concurrency })
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
export const QUEUE_PROCESSORS = [queueProcessor('default', 8), queueProcessor('webhooks', 32)];
