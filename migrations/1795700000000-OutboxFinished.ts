import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When BullMQ finished with an outbox row's job (completed, or failed for good). A row sent but
 * not finished is work that only Redis holds; if Redis comes back empty the relay sends those
 * rows again (OutboxRelay.recoverLostJobs). No index on purpose: the recovery scan is rare, and
 * an index naming finished_at would turn every "finished" update from a HOT update into an
 * index write.
 */
export class OutboxFinished1795700000000 implements MigrationInterface {
  name = 'OutboxFinished1795700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox ADD COLUMN finished_at timestamptz`);
    // Rows sent before this release carry no finish mark; treat them as finished rather than
    // re-running up to a week of jobs the first time the relay finds no marker in Redis.
    await q.query(`UPDATE outbox SET finished_at = sent_at WHERE sent_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox DROP COLUMN finished_at`);
  }
}
