import { MigrationInterface, QueryRunner } from 'typeorm';

const CODES = `'agent_pending', 'agent_available', 'company_receivable',
  'platform_fees', 'platform_clearing', 'platform_adjustments',
  'platform_cash', 'platform_bad_debt', 'platform_disputes'`;
const KINDS = `'earning', 'earning_reversal', 'earning_release', 'adjustment', 'payout',
  'payout_reversal', 'invoice_payment', 'write_off', 'dispute', 'dispute_resolution',
  'credit_withheld', 'credit_restored', 'dispute_rebilled'`;

/**
 * Refunds of an invoice's charge, made in Stripe's dashboard (goodwill: the API has no refund
 * of its own), reach the ledger: what went back to the company's card leaves `platform_cash`
 * for `platform_refunds` (a refund is given, not owed again), and the invoice keeps how much of
 * its charge Stripe has refunded (`refunded_minor`, Stripe's `amount_refunded`). Before, the
 * money left Stripe's balance and the ledger never knew.
 */
export class Refunds1796330000000 implements MigrationInterface {
  name = 'Refunds1796330000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE ledger_accounts DROP CONSTRAINT ck_ledger_accounts_code,
        ADD CONSTRAINT ck_ledger_accounts_code CHECK (code IN (${CODES}, 'platform_refunds'))`);
    await q.query(`
      ALTER TABLE journal_entries DROP CONSTRAINT ck_journal_entries_kind,
        ADD CONSTRAINT ck_journal_entries_kind CHECK (kind IN (${KINDS}, 'refund'))`);
    await q.query(`
      ALTER TABLE invoices
        ADD COLUMN refunded_minor bigint NOT NULL DEFAULT 0
          CONSTRAINT ck_invoices_refunded CHECK (refunded_minor >= 0)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE invoices DROP COLUMN refunded_minor`);
    await q.query(`
      ALTER TABLE journal_entries DROP CONSTRAINT ck_journal_entries_kind,
        ADD CONSTRAINT ck_journal_entries_kind CHECK (kind IN (${KINDS}))`);
    await q.query(`
      ALTER TABLE ledger_accounts DROP CONSTRAINT ck_ledger_accounts_code,
        ADD CONSTRAINT ck_ledger_accounts_code CHECK (code IN (${CODES}))`);
  }
}
