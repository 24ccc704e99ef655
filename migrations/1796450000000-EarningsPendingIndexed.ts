import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ledger's integrity report lists earnings still pending after their release was due (a
 * release timer lost or failed for good). Only earnings inside their reopen window are pending,
 * so a partial index on them is small, where the check would otherwise read every earning.
 */
export class EarningsPendingIndexed1796450000000 implements MigrationInterface {
  name = 'EarningsPendingIndexed1796450000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX ix_earnings_pending ON earnings (available_at) WHERE status = 'pending'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_earnings_pending`);
  }
}
