import { SetMetadata } from '@nestjs/common';
import type { Job } from 'bullmq';
import { JobName, JobPayloads } from './job-registry';

export const JOB_HANDLER_KEY = 'handoff:jobHandler';

/**
 * Marks a provider as the handler of one job. Handlers must be idempotent: BullMQ delivers at
 * least once (a stalled job runs again), so check state first and make effects conditional.
 */
export const JobHandler = (name: JobName) => SetMetadata(JOB_HANDLER_KEY, name);

export interface HandlesJob<N extends JobName> {
  handle(payload: JobPayloads[N], job: Job<JobPayloads[N]>): Promise<unknown>;
}
