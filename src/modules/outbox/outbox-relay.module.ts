import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { OutboxFinishedMarks } from './outbox-finished.service';
import { OutboxReconciler } from './outbox-reconciler.service';
import { OutboxRelay } from './outbox-relay.service';
import { OutboxRepository } from './outbox.repository';

/**
 * The outbox's worker side, loaded only where workers run (WorkersModule): the relay that moves
 * committed rows into the queues, the marks of jobs BullMQ finished, and the check of both
 * against what Redis holds.
 */
@Module({
  imports: [JobsModule],
  providers: [OutboxRepository, OutboxFinishedMarks, OutboxReconciler, OutboxRelay],
  exports: [OutboxFinishedMarks, OutboxReconciler, OutboxRelay],
})
export class OutboxRelayModule {}
