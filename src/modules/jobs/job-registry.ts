/**
 * The one place that names every background job, the queue it runs on and its payload type.
 * Adding a job: add it to JobPayloads and JOB_QUEUES, then write a provider decorated with
 * @JobHandler(name). Start-up fails if a job here has no handler.
 */
export const QUEUE_NAMES = ['default'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export interface JobPayloads {
  /** End-to-end check of outbox → relay → queue → worker (`npm run cli -- jobs:ping`). */
  'system.ping': { requestedAt: string };
  /** At a seat's check-in deadline: mark a no-show and offer the seat to the waitlist. */
  'shift-claim.no-show-check': { claimId: string };
  /** At a shift's end: complete checked-in seats and the shift. */
  'shift.complete': { shiftId: string };
}

export type JobName = keyof JobPayloads;

export const JOB_QUEUES: { readonly [N in JobName]: QueueName } = {
  'system.ping': 'default',
  'shift-claim.no-show-check': 'default',
  'shift.complete': 'default',
};

export const JOB_NAMES = Object.keys(JOB_QUEUES) as JobName[];
