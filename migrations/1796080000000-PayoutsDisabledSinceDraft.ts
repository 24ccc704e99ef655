import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A line whose agent's Connect account Stripe disabled for payouts between the draft and the
 * line's first send is held as `payouts_disabled_since_draft` instead of being sent (the draft
 * holds such an agent as `payouts_disabled`; execution did not look again). Like
 * `balance_changed`, it still counts as drafted in the run's totals.
 */
export class PayoutsDisabledSinceDraft1796080000000 implements MigrationInterface {
  name = 'PayoutsDisabledSinceDraft1796080000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE payout_lines
        DROP CONSTRAINT ck_payout_lines_held_reason,
        ADD CONSTRAINT ck_payout_lines_held_reason CHECK (held_reason IN (
          'no_account', 'payouts_disabled', 'below_minimum', 'negative_balance', 'unsettled_line',
          'balance_changed', 'insufficient_platform_balance', 'payouts_disabled_since_draft'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE payout_lines SET held_reason = 'payouts_disabled'
       WHERE held_reason = 'payouts_disabled_since_draft'`);
    await q.query(`
      ALTER TABLE payout_lines
        DROP CONSTRAINT ck_payout_lines_held_reason,
        ADD CONSTRAINT ck_payout_lines_held_reason CHECK (held_reason IN (
          'no_account', 'payouts_disabled', 'below_minimum', 'negative_balance', 'unsettled_line',
          'balance_changed', 'insufficient_platform_balance'))`);
  }
}
