import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Payouts funded by what came in (issue 18): a line the platform's Stripe balance cannot cover
 * when its run executes is held as `insufficient_platform_balance` (its money stays available
 * to the agent for a later run) instead of failing at Stripe; the run records the balance it
 * saw.
 */
export class FundedPayouts1796000000000 implements MigrationInterface {
  name = 'FundedPayouts1796000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE payout_lines
        DROP CONSTRAINT ck_payout_lines_held_reason,
        ADD CONSTRAINT ck_payout_lines_held_reason CHECK (held_reason IN (
          'no_account', 'payouts_disabled', 'below_minimum', 'negative_balance', 'unsettled_line',
          'balance_changed', 'insufficient_platform_balance'))`);
    await q.query(`ALTER TABLE payout_runs ADD COLUMN platform_available_minor bigint`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payout_runs DROP COLUMN platform_available_minor`);
    await q.query(`
      ALTER TABLE payout_lines
        DROP CONSTRAINT ck_payout_lines_held_reason,
        ADD CONSTRAINT ck_payout_lines_held_reason CHECK (held_reason IN (
          'no_account', 'payouts_disabled', 'below_minimum', 'negative_balance', 'unsettled_line',
          'balance_changed'))`);
  }
}
