import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The indexes the hourly prunes read by (HourlyPrune): refresh tokens by their login's start,
 * and settled webhook deliveries by when they settled (their last attempt, else their
 * creation). Without them each prune batch read the whole table, every hour, in every worker.
 *
 * Built CONCURRENTLY, so outside a transaction: both tables are written by every sign-in,
 * refresh and event, and a plain CREATE INDEX would hold those writes for the whole build. A
 * build that failed leaves an invalid index behind: drop it and run the migrations again.
 */
export class RetentionIndexes1796520000000 implements MigrationInterface {
  name = 'RetentionIndexes1796520000000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_refresh_tokens_login
         ON refresh_tokens (login_at)`,
    );
    await q.query(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_webhook_deliveries_settled
         ON webhook_deliveries ((coalesce(last_attempt_at, created_at)))
         WHERE status <> 'pending'`,
    );
  }

  // Not CONCURRENTLY: TypeORM reverts in a transaction whatever `transaction` says.
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ix_webhook_deliveries_settled`);
    await q.query(`DROP INDEX IF EXISTS ix_refresh_tokens_login`);
  }
}
