import { Module } from '@nestjs/common';
import { OutboxRelay } from '../outbox/outbox-relay.service';
import { QUEUE_PROCESSORS } from './queue.processors';

/** What only a worker process runs: the queue workers and the outbox relay. */
@Module({ providers: [...QUEUE_PROCESSORS, OutboxRelay], exports: [OutboxRelay] })
export class WorkersModule {}
