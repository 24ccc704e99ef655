import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A `transfer.reversed` that arrives before its payout line is booked paid now waits, unprocessed,
 * and booking the line sends it again (it used to be retried on the queue's schedule and lost
 * after ~18 h). Booking a line looks for such events by the line id in the transfer's metadata:
 * a small partial index, since events wait only in that rare case.
 */
export class WaitingTransferReversals1796100000000 implements MigrationInterface {
  name = 'WaitingTransferReversals1796100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX ix_stripe_events_waiting_reversals
          ON stripe_events ((payload #>> '{data,object,metadata,payoutLineId}'))
       WHERE processed_at IS NULL AND type = 'transfer.reversed'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_stripe_events_waiting_reversals`);
  }
}
