import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { OutboxFinishedMarks } from './outbox-finished.service';
import { OutboxRelay } from './outbox-relay.service';
import { OutboxRepository } from './outbox.repository';

/**
 * The outbox's worker side, loaded only where workers run (WorkersModule): the relay that moves
 * committed rows into the queues, and the marks of jobs BullMQ finished.
 */
@Module({
  imports: [JobsModule],
  providers: [OutboxRepository, OutboxFinishedMarks, OutboxRelay],
  exports: [OutboxFinishedMarks, OutboxRelay],
})
export class OutboxRelayModule {}
