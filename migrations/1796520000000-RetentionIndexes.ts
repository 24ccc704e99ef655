import { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexesConcurrently, dropIndexes, IndexSpec } from './support/concurrent-indexes';

const INDEXES: IndexSpec[] = [
  ['ix_refresh_tokens_login', 'refresh_tokens (login_at)'],
  // Not partial: PostgreSQL keeps no statistics for a partial index's expression, so the
  // prune's range on it was guessed at a third of the table and read by a sequential scan.
  ['ix_webhook_deliveries_settled', 'webhook_deliveries ((coalesce(last_attempt_at, created_at)))'],
];

/**
 * The indexes the hourly prunes read by (HourlyPrune): refresh tokens by their login's start,
 * and webhook deliveries by their last attempt, else their creation. Without them each prune
 * batch read the whole table, every hour, in every worker.
 *
 * Built CONCURRENTLY, so outside a transaction: both tables are written by every sign-in,
 * refresh and event, and a plain CREATE INDEX would hold those writes for the whole build. The
 * build waits for every older snapshot, so processes waiting for the migration lock wait idle
 * (withMigrationLock). A build cut short leaves an invalid index behind: it is dropped and
 * built again here, not taken for done.
 */
export class RetentionIndexes1796520000000 implements MigrationInterface {
  name = 'RetentionIndexes1796520000000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await createIndexesConcurrently(q, INDEXES);
  }

  async down(q: QueryRunner): Promise<void> {
    await dropIndexes(q, INDEXES);
  }
}
