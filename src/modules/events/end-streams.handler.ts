import { Injectable } from '@nestjs/common';
import { HandlesJob, JobHandler } from '../jobs/job-handler';
import { JobPayloads } from '../jobs/job-registry';
import { EventHub } from './event-hub.service';

/**
 * The payload of an `events.end-streams` job written now: its streams end as of this second,
 * as the call after the commit ends them, however late the job runs.
 */
export function endStreamsNow(subject: string): JobPayloads['events.end-streams'] {
  return { subject, asOf: Math.floor(Date.now() / 1000) };
}

/**
 * The `events.end-streams` job: ends a user's streams everywhere as of when the change that
 * wrote it committed (not when it runs); Redis not answering, it runs again.
 */
@Injectable()
@JobHandler('events.end-streams')
export class EndStreamsHandler implements HandlesJob<'events.end-streams'> {
  constructor(private readonly hub: EventHub) {}

  async handle({ subject, asOf }: JobPayloads['events.end-streams']): Promise<void> {
    // A whole second, as the suspension wrote it; anything else (none) is taken as now.
    const at = Number.isInteger(asOf) ? asOf : Math.floor(Date.now() / 1000);
    await this.hub.endStreamsAsOf(subject, at);
  }
}
