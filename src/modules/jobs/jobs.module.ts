import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { JobDispatcher } from './job-dispatcher.service';
import { QUEUE_NAMES } from './job-registry';
import { PingHandler } from './ping.handler';
import { QueuesService } from './queues.service';

const DAY_SECONDS = 86_400;

/**
 * Queues (for producers: the outbox relay) and the handler table. Completed jobs are kept a day
 * so a re-relayed outbox row with the same job id is recognised as a duplicate.
 */
@Global()
@Module({
  imports: [
    DiscoveryModule,
    BullModule.registerQueue(
      ...QUEUE_NAMES.map((name) => ({
        name,
        defaultJobOptions: {
          attempts: 10,
          backoff: { type: 'exponential', delay: 2000 },
          removeOnComplete: { age: DAY_SECONDS },
          removeOnFail: { age: 14 * DAY_SECONDS },
        },
      })),
    ),
  ],
  providers: [JobDispatcher, QueuesService, PingHandler],
  exports: [JobDispatcher, QueuesService, BullModule],
})
export class JobsModule {}
