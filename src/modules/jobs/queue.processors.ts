import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { JobDispatcher } from './job-dispatcher.service';

/**
 * One BullMQ worker per queue, each handing jobs to the dispatcher. Only loaded in processes
 * that run workers (not with WORKERS=off).
 */
@Processor('default', { concurrency: 8 })
export class DefaultQueueProcessor extends WorkerHost {
  constructor(private readonly dispatcher: JobDispatcher) {
    super();
  }

  process(job: Job): Promise<unknown> {
    return this.dispatcher.dispatch(job);
  }
}

export const QUEUE_PROCESSORS = [DefaultQueueProcessor];
