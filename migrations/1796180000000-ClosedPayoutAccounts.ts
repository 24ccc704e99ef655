import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A Connect account that can never be paid again (Stripe or the platform rejected it, or it
 * left our platform) is marked closed, and the agent may link a new one in its place when the
 * closing allows it, or when an admin allowed it for that closing; the accounts replaced are
 * kept on the row (each payout line also keeps the account it paid). Admins' allowances are
 * kept for good (who, when, why, for which account and closing), one row each.
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
    await q.query(`
      CREATE TABLE payout_account_allowances (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        agent_id uuid NOT NULL
          CONSTRAINT fk_payout_account_allowances_agent REFERENCES payout_accounts (agent_id),
        -- the closing it answers: this account, closed for this reason, since before it
        stripe_account_id text NOT NULL,
        closed_reason text NOT NULL,
        allowed_by uuid NOT NULL
          CONSTRAINT fk_payout_account_allowances_by REFERENCES users (id),
        reason text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX ix_payout_account_allowances_agent ON payout_account_allowances (agent_id, created_at)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE payout_account_allowances`);
    await q.query(`
      ALTER TABLE payout_accounts
        DROP CONSTRAINT ck_payout_accounts_closed,
        DROP COLUMN replaced_account_ids,
        DROP COLUMN closed_at,
        DROP COLUMN closed_reason`);
  }
}
