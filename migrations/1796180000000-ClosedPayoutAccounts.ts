import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A Connect account that can never be paid again (Stripe or the platform rejected it, or it
 * left our platform) is marked closed, and the agent may link a new one in its place; the
 * accounts replaced are kept on the row (each payout line also keeps the account it paid).
 */
export class ClosedPayoutAccounts1796180000000 implements MigrationInterface {
  name = 'ClosedPayoutAccounts1796180000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE payout_accounts
        ADD COLUMN closed_reason text,
        ADD COLUMN closed_at timestamptz,
        ADD COLUMN replaced_account_ids text[] NOT NULL DEFAULT '{}',
        ADD CONSTRAINT ck_payout_accounts_closed CHECK ((closed_reason IS NULL) = (closed_at IS NULL))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE payout_accounts
        DROP CONSTRAINT ck_payout_accounts_closed,
        DROP COLUMN replaced_account_ids,
        DROP COLUMN closed_at,
        DROP COLUMN closed_reason`);
  }
}
