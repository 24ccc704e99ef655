import { Injectable, Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { HandlesJob, JobHandler } from './job-handler';
import { JobPayloads } from './job-registry';

@Injectable()
@JobHandler('system.ping')
export class PingHandler implements HandlesJob<'system.ping'> {
  private readonly logger = new Logger(PingHandler.name);

  async handle(payload: JobPayloads['system.ping'], job: Job): Promise<{ pong: string }> {
    const lagMs = Date.now() - Date.parse(payload.requestedAt);
    this.logger.log({ jobId: job.id, lagMs }, 'pong');
    return { pong: new Date().toISOString() };
  }
}
