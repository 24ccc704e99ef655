import { MigrationInterface, QueryRunner } from 'typeorm';

const KINDS = `'earning', 'earning_reversal', 'earning_release', 'adjustment', 'payout',
  'payout_reversal', 'invoice_payment', 'write_off', 'dispute', 'dispute_resolution',
  'credit_withheld', 'credit_restored'`;
const BILLABLE = `'earning', 'earning_reversal', 'credit_withheld', 'credit_restored'`;
const LINES = `'shift', 'reversals', 'carried_credit', 'withheld_credits', 'restored_credits'`;

/**
 * What a lost dispute made owed again can be billed again: finance moves it onto the company's
 * next invoice (a billable `dispute_rebilled` entry, an invoice line `rebilled_disputes`),
 * where Stripe collects it like any charge. Before, only a credit note could settle it, or a
 * collection outside Stripe. The invoice keeps what was billed again, when and by whom, so that
 * a credit note and a second billing never take the same amount.
 */
export class LostDisputesBilledAgain1796260000000 implements MigrationInterface {
  name = 'LostDisputesBilledAgain1796260000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE journal_entries DROP CONSTRAINT ck_journal_entries_kind,
        ADD CONSTRAINT ck_journal_entries_kind CHECK (kind IN (${KINDS}, 'dispute_rebilled'))`);
    await q.query(`DROP INDEX ix_journal_entries_billable`);
    await q.query(`
      CREATE INDEX ix_journal_entries_billable ON journal_entries (created_at)
       WHERE kind IN (${BILLABLE}, 'dispute_rebilled')`);
    await q.query(`
      ALTER TABLE invoice_lines DROP CONSTRAINT ck_invoice_lines_kind,
        ADD CONSTRAINT ck_invoice_lines_kind CHECK (kind IN (${LINES}, 'rebilled_disputes'))`);
    await q.query(`
      ALTER TABLE invoices
        ADD COLUMN rebilled_minor bigint NOT NULL DEFAULT 0,
        ADD COLUMN rebilled_at timestamptz,
        ADD COLUMN rebilled_by uuid CONSTRAINT fk_invoices_rebilled_by REFERENCES users (id),
        ADD CONSTRAINT ck_invoices_rebilled
          CHECK (rebilled_minor >= 0 AND (rebilled_minor = 0) = (rebilled_at IS NULL)
                 AND (rebilled_at IS NULL) = (rebilled_by IS NULL))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE invoices DROP CONSTRAINT ck_invoices_rebilled,
        DROP COLUMN rebilled_by, DROP COLUMN rebilled_at, DROP COLUMN rebilled_minor`);
    await q.query(`
      ALTER TABLE invoice_lines DROP CONSTRAINT ck_invoice_lines_kind,
        ADD CONSTRAINT ck_invoice_lines_kind CHECK (kind IN (${LINES}))`);
    await q.query(`DROP INDEX ix_journal_entries_billable`);
    await q.query(`
      CREATE INDEX ix_journal_entries_billable ON journal_entries (created_at)
       WHERE kind IN (${BILLABLE})`);
    await q.query(`
      ALTER TABLE journal_entries DROP CONSTRAINT ck_journal_entries_kind,
        ADD CONSTRAINT ck_journal_entries_kind CHECK (kind IN (${KINDS}))`);
  }
}
