import { MigrationInterface, QueryRunner } from 'typeorm';

const KINDS = `'earning', 'earning_reversal', 'earning_release', 'adjustment', 'payout',
  'payout_reversal', 'invoice_payment', 'write_off', 'dispute', 'dispute_resolution'`;

/**
 * A reopened ticket is credited to its company only when the company paid for it (or still
 * owes it): when the invoice that charged it is written off, the credit is withheld (billed
 * back, out of the bad debt), and restored if that invoice is paid after all. Both are billable
 * entries, so the closing sweep reads them through the billable index, and each is an invoice
 * line of its own.
 */
export class WithheldCredits1796120000000 implements MigrationInterface {
  name = 'WithheldCredits1796120000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE journal_entries DROP CONSTRAINT ck_journal_entries_kind,
        ADD CONSTRAINT ck_journal_entries_kind CHECK (kind IN (${KINDS},
          'credit_withheld', 'credit_restored'))`);
    await q.query(`DROP INDEX ix_journal_entries_billable`);
    await q.query(`
      CREATE INDEX ix_journal_entries_billable ON journal_entries (created_at)
       WHERE kind IN ('earning', 'earning_reversal', 'credit_withheld', 'credit_restored')`);
    await q.query(`
      ALTER TABLE invoice_lines DROP CONSTRAINT ck_invoice_lines_kind,
        ADD CONSTRAINT ck_invoice_lines_kind CHECK (kind IN (
          'shift', 'reversals', 'carried_credit', 'withheld_credits', 'restored_credits'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE invoice_lines DROP CONSTRAINT ck_invoice_lines_kind,
        ADD CONSTRAINT ck_invoice_lines_kind CHECK (kind IN (
          'shift', 'reversals', 'carried_credit'))`);
    await q.query(`DROP INDEX ix_journal_entries_billable`);
    await q.query(`
      CREATE INDEX ix_journal_entries_billable ON journal_entries (created_at)
       WHERE kind IN ('earning', 'earning_reversal')`);
    await q.query(`
      ALTER TABLE journal_entries DROP CONSTRAINT ck_journal_entries_kind,
        ADD CONSTRAINT ck_journal_entries_kind CHECK (kind IN (${KINDS}))`);
  }
}
