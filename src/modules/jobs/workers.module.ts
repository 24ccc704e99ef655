import { DynamicModule, Module } from '@nestjs/common';
import { Env } from '../../config/env.validation';
import { OutboxRelayModule } from '../outbox/outbox-relay.module';
import { JobsModule } from './jobs.module';
import { queueProcessors } from './queue.processors';
import { TimerSweep } from './timer-sweep.service';

/** What only a worker process runs: the queue workers, the outbox relay, the timer sweep. */
@Module({})
export class WorkersModule {
  static register(env: Env): DynamicModule {
    return {
      module: WorkersModule,
      // The processors hand jobs to the dispatcher and mark outbox rows finished.
      imports: [JobsModule, OutboxRelayModule],
      providers: [...queueProcessors(env), TimerSweep],
      exports: [OutboxRelayModule],
    };
  }
}
