import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The rows BullMQ has not finished with: the relay's reconciler walks them by id (sent ones it
 * checks against Redis), and billing asks for the oldest unfinished ledger job. Both read a
 * small part of a table that keeps a week of finished rows.
 */
export class OutboxUnfinished1796310000000 implements MigrationInterface {
  name = 'OutboxUnfinished1796310000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX ix_outbox_unfinished ON outbox (id) WHERE finished_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_outbox_unfinished`);
  }
}
