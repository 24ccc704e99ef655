import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A Connect account that can never be paid again (Stripe or the platform rejected it, or it
 * left our platform) is marked closed, and the agent may link a new one in its place when the
 * closing allows it, or when an admin allowed it for that closing; the accounts replaced are
 * kept on the row (each payout line also keeps the account it paid).
 */
export class ClosedPayoutAccounts1796180000000 implements MigrationInterface {
  name = 'ClosedPayoutAccounts1796180000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE payout_accounts
        ADD COLUMN closed_reason text,
        ADD COLUMN closed_at timestamptz,
        ADD COLUMN replaced_account_ids text[] NOT NULL DEFAULT '{}',
        ADD CONSTRAINT ck_payout_accounts_closed CHECK ((closed_reason IS NULL) = (closed_at IS NULL)),
        -- the closing (its reason) an admin allowed a new account after, by whom, when, why
        ADD COLUMN new_account_allowed_for text,
        ADD COLUMN new_account_allowed_by uuid
          CONSTRAINT fk_payout_accounts_allowed_by REFERENCES users (id),
        ADD COLUMN new_account_allowed_at timestamptz,
        ADD COLUMN new_account_allowed_reason text,
        ADD CONSTRAINT ck_payout_accounts_allowed CHECK (
          num_nulls(new_account_allowed_for, new_account_allowed_by, new_account_allowed_at,
                    new_account_allowed_reason) IN (0, 4))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE payout_accounts
        DROP CONSTRAINT ck_payout_accounts_allowed,
        DROP COLUMN new_account_allowed_reason,
        DROP COLUMN new_account_allowed_at,
        DROP COLUMN new_account_allowed_by,
        DROP COLUMN new_account_allowed_for,
        DROP CONSTRAINT ck_payout_accounts_closed,
        DROP COLUMN replaced_account_ids,
        DROP COLUMN closed_at,
        DROP COLUMN closed_reason`);
  }
}
