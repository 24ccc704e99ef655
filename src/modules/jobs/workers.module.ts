import { DynamicModule, Module } from '@nestjs/common';
import { Env } from '../../config/env.validation';
import { OutboxFinishedMarks } from '../outbox/outbox-finished.service';
import { OutboxRelay } from '../outbox/outbox-relay.service';
import { queueProcessors } from './queue.processors';

/** What only a worker process runs: the queue workers and the outbox relay. */
@Module({})
export class WorkersModule {
  static register(env: Env): DynamicModule {
    return {
      module: WorkersModule,
      providers: [...queueProcessors(env), OutboxFinishedMarks, OutboxRelay],
      exports: [OutboxRelay],
    };
  }
}
