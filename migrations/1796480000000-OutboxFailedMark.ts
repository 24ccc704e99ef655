import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `outbox.failed`: the row's job failed for good (its finish mark says which way it finished).
 *
 * A ticket event's and a ledger booking's job carries no payload in Redis: it reads it from its
 * row (PAYLOAD_IN_OUTBOX). A job that failed for good stays in Redis's failed set for 14 days,
 * where the queue dashboard can retry it and the timer sweep settles it, but its row, marked
 * finished like a completed one, was pruned after 7: both would then find no payload. Rows
 * that failed are now kept 16 days (the relay's prune). False for every row written before.
 */
export class OutboxFailedMark1796480000000 implements MigrationInterface {
  name = 'OutboxFailedMark1796480000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox ADD COLUMN failed boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox DROP COLUMN failed`);
  }
}
