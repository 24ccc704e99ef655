import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DiscoveryModule } from '@nestjs/core';
import { Env } from '../../config/env.validation';
import { OutboxModule } from '../outbox/outbox.module';
import { JobDispatcher } from './job-dispatcher.service';
import { QUEUE_NAMES } from './job-registry';
import { PingHandler } from './ping.handler';
import { QueuesService } from './queues.service';

const DAY_SECONDS = 86_400;

/**
 * Queues (for producers: the outbox relay) and the handler table. Completed jobs are kept a day
 * so a re-relayed outbox row with the same job id is recognised as a duplicate.
 */
@Module({
  imports: [
    DiscoveryModule,
    // The dispatcher reads PAYLOAD_IN_OUTBOX jobs' payloads from their rows.
    OutboxModule,
    BullModule.registerQueueAsync(
      ...QUEUE_NAMES.map((name) => ({
        name,
        inject: [ConfigService],
        useFactory: (config: ConfigService<Env, true>) => ({
          defaultJobOptions: {
            // Webhook deliveries retry for about a day (WEBHOOK_ATTEMPTS doublings).
            ...(name === 'payouts'
              ? // 429s and 5xx from Stripe: back off and try again, same idempotency key.
                { attempts: 12, backoff: { type: 'exponential', delay: 1000 } }
              : name === 'webhooks'
                ? {
                    attempts: config.get('WEBHOOK_ATTEMPTS', { infer: true }),
                    backoff: {
                      type: 'exponential',
                      delay: config.get('WEBHOOK_BACKOFF_MS', { infer: true }),
                    },
                  }
                : // Timers and events retry for ~9 h (2 s doubling, 14 retries: 2 s × (2^14 − 1)) before giving up.
                  { attempts: 15, backoff: { type: 'exponential', delay: 2000 } }),
            removeOnComplete: { age: DAY_SECONDS },
            removeOnFail: { age: 14 * DAY_SECONDS },
          },
        }),
      })),
    ),
  ],
  providers: [JobDispatcher, QueuesService, PingHandler],
  exports: [JobDispatcher, QueuesService, BullModule],
})
export class JobsModule {}
