import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A company with an invoice written off unpaid (uncollectible, less its credit notes) is held
 * like one past due: the write-off moves the debt to bad debt in the books, and without this
 * the company could post shifts again and run up another limit's worth. Invoices written off
 * before this hold existed do not start holding their companies on deploy
 * (`invoices.hold_waived_at`, set for them here; a waiver by finance would set it too).
 */
export class WrittenOffHolds1796200000000 implements MigrationInterface {
  name = 'WrittenOffHolds1796200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE invoices ADD COLUMN hold_waived_at timestamptz`);
    await q.query(`UPDATE invoices SET hold_waived_at = now() WHERE status = 'uncollectible'`);
    await q.query(`
      ALTER TABLE credit_controls
        DROP CONSTRAINT ck_credit_controls_hold_reason,
        ADD CONSTRAINT ck_credit_controls_hold_reason CHECK (
          hold_reason IN ('credit_limit', 'past_due', 'written_off'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `UPDATE credit_controls SET hold_reason = 'past_due' WHERE hold_reason = 'written_off'`,
    );
    await q.query(`
      ALTER TABLE credit_controls
        DROP CONSTRAINT ck_credit_controls_hold_reason,
        ADD CONSTRAINT ck_credit_controls_hold_reason CHECK (
          hold_reason IN ('credit_limit', 'past_due'))`);
    await q.query(`ALTER TABLE invoices DROP COLUMN hold_waived_at`);
  }
}
