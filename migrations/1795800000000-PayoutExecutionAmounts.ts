import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Payout lines pay what is available when they execute, not only what was drafted
 * (`transfer_minor`, fixed with the idempotency key it is sent under; a line whose balance fell
 * below the minimum since drafting is held as `balance_changed`); a line Stripe keeps refusing
 * can be abandoned by finance; a run records whether its Stripe was real.
 */
export class PayoutExecutionAmounts1795800000000 implements MigrationInterface {
  name = 'PayoutExecutionAmounts1795800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE payout_lines
        ADD COLUMN transfer_minor bigint,
        ADD COLUMN abandoned_reason text,
        ADD COLUMN abandoned_by uuid CONSTRAINT fk_payout_lines_abandoned_by REFERENCES users (id),
        ADD COLUMN abandoned_at timestamptz`);
    // Lines already sent were sent for their drafted amount.
    await q.query(`
      UPDATE payout_lines SET transfer_minor = amount_minor
       WHERE status IN ('processing', 'paid', 'failed')`);
    await q.query(`
      ALTER TABLE payout_lines
        DROP CONSTRAINT ck_payout_lines_status,
        ADD CONSTRAINT ck_payout_lines_status CHECK (status IN (
          'held', 'pending', 'processing', 'paid', 'failed', 'abandoned')),
        DROP CONSTRAINT ck_payout_lines_held_reason,
        ADD CONSTRAINT ck_payout_lines_held_reason CHECK (held_reason IN (
          'no_account', 'payouts_disabled', 'below_minimum', 'negative_balance', 'unsettled_line',
          'balance_changed')),
        ADD CONSTRAINT ck_payout_lines_transfer_minor CHECK (
          transfer_minor IS NULL OR (transfer_minor > 0 AND transfer_minor <= amount_minor)),
        ADD CONSTRAINT ck_payout_lines_sent_amount CHECK (
          status NOT IN ('processing', 'paid') OR transfer_minor IS NOT NULL),
        ADD CONSTRAINT ck_payout_lines_abandoned CHECK (
          (status = 'abandoned') = (abandoned_at IS NOT NULL AND abandoned_reason IS NOT NULL))`);
    await q.query(`
      ALTER TABLE payout_runs
        ADD COLUMN stripe_mode text NOT NULL DEFAULT 'live'
          CONSTRAINT ck_payout_runs_stripe_mode CHECK (stripe_mode IN ('live', 'test', 'fake'))`);
    await q.query(`ALTER TABLE payout_runs ALTER COLUMN stripe_mode DROP DEFAULT`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payout_runs DROP COLUMN stripe_mode`);
    await q.query(`
      ALTER TABLE payout_lines
        DROP CONSTRAINT ck_payout_lines_abandoned,
        DROP CONSTRAINT ck_payout_lines_sent_amount,
        DROP CONSTRAINT ck_payout_lines_transfer_minor,
        DROP CONSTRAINT ck_payout_lines_held_reason,
        ADD CONSTRAINT ck_payout_lines_held_reason CHECK (held_reason IN (
          'no_account', 'payouts_disabled', 'below_minimum', 'negative_balance', 'unsettled_line')),
        DROP CONSTRAINT ck_payout_lines_status,
        ADD CONSTRAINT ck_payout_lines_status CHECK (status IN (
          'held', 'pending', 'processing', 'paid', 'failed')),
        DROP COLUMN abandoned_at,
        DROP COLUMN abandoned_by,
        DROP COLUMN abandoned_reason,
        DROP COLUMN transfer_minor`);
  }
}
