import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Invoicing companies (issue 18). A billing period closes into one `invoices` row per company
 * and currency: what the ledger booked to the company's receivable in the period (one line per
 * shift, reversals apart), a credit carried in from earlier, the total charged (never below
 * zero: a larger credit is carried out to the next period). `invoiced_entries` names the
 * journal entries each invoice billed: its primary key bills an entry once, whatever races.
 *
 * The ledger learns the money that comes in: the platform's Stripe balance (`platform_cash`),
 * written-off debts (`platform_bad_debt`) and disputed charges (`platform_disputes`).
 */
export class Invoices1795980000000 implements MigrationInterface {
  name = 'Invoices1795980000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE ledger_accounts DROP CONSTRAINT ck_ledger_accounts_code,
        ADD CONSTRAINT ck_ledger_accounts_code CHECK (code IN (
          'agent_pending', 'agent_available', 'company_receivable',
          'platform_fees', 'platform_clearing', 'platform_adjustments',
          'platform_cash', 'platform_bad_debt', 'platform_disputes'))`);
    await q.query(`
      ALTER TABLE journal_entries DROP CONSTRAINT ck_journal_entries_kind,
        ADD CONSTRAINT ck_journal_entries_kind CHECK (kind IN (
          'earning', 'earning_reversal', 'earning_release', 'adjustment', 'payout',
          'payout_reversal', 'invoice_payment', 'write_off', 'dispute', 'dispute_resolution'))`);
    // What the closing sweep reads: the billable entries of recent months.
    await q.query(`
      CREATE INDEX ix_journal_entries_billable ON journal_entries (created_at)
       WHERE kind IN ('earning', 'earning_reversal')`);

    await q.query(`
      CREATE TABLE invoices (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        company_id uuid NOT NULL CONSTRAINT fk_invoices_company REFERENCES companies (id),
        currency char(3) NOT NULL,
        period_start timestamptz NOT NULL,
        period_end timestamptz NOT NULL,
        -- the settings the period was cut with
        time_zone text NOT NULL,
        billing_period text NOT NULL,
        booked_minor bigint NOT NULL,
        carried_in_minor bigint NOT NULL CONSTRAINT ck_invoices_carried_in CHECK (carried_in_minor <= 0),
        total_minor bigint NOT NULL CONSTRAINT ck_invoices_total CHECK (total_minor >= 0),
        carried_out_minor bigint NOT NULL CONSTRAINT ck_invoices_carried_out CHECK (carried_out_minor <= 0),
        status text NOT NULL CONSTRAINT ck_invoices_status CHECK (status IN (
          'draft', 'open', 'past_due', 'paid', 'uncollectible', 'void', 'no_charge')),
        stripe_invoice_id text CONSTRAINT uq_invoices_stripe UNIQUE,
        number text,
        hosted_invoice_url text,
        attempt_count int NOT NULL DEFAULT 0,
        next_payment_attempt timestamptz,
        last_payment_error text,
        paid_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_invoices_period UNIQUE (company_id, currency, period_start),
        CONSTRAINT ck_invoices_period CHECK (period_end > period_start),
        CONSTRAINT ck_invoices_sum CHECK (
          total_minor + carried_out_minor = booked_minor + carried_in_minor),
        CONSTRAINT ck_invoices_no_charge CHECK ((status = 'no_charge') = (total_minor = 0))
      )`);
    await q.query(
      `CREATE INDEX ix_invoices_company ON invoices (company_id, currency, period_start DESC)`,
    );
    await q.query(`
      CREATE TABLE invoice_lines (
        invoice_id uuid NOT NULL CONSTRAINT fk_invoice_lines_invoice REFERENCES invoices (id),
        position int NOT NULL,
        kind text NOT NULL CONSTRAINT ck_invoice_lines_kind CHECK (kind IN (
          'shift', 'reversals', 'carried_credit')),
        shift_id uuid,
        description text NOT NULL,
        tickets int NOT NULL DEFAULT 0,
        amount_minor bigint NOT NULL,
        PRIMARY KEY (invoice_id, position)
      )`);
    await q.query(`
      CREATE TABLE invoiced_entries (
        entry_id uuid PRIMARY KEY CONSTRAINT fk_invoiced_entries_entry REFERENCES journal_entries (id),
        invoice_id uuid NOT NULL CONSTRAINT fk_invoiced_entries_invoice REFERENCES invoices (id)
      )`);
    await q.query(`CREATE INDEX ix_invoiced_entries_invoice ON invoiced_entries (invoice_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE invoiced_entries`);
    await q.query(`DROP TABLE invoice_lines`);
    await q.query(`DROP TABLE invoices`);
    await q.query(`DROP INDEX ix_journal_entries_billable`);
    await q.query(`
      ALTER TABLE journal_entries DROP CONSTRAINT ck_journal_entries_kind,
        ADD CONSTRAINT ck_journal_entries_kind CHECK (kind IN (
          'earning', 'earning_reversal', 'earning_release', 'adjustment', 'payout', 'payout_reversal'))`);
    await q.query(`
      ALTER TABLE ledger_accounts DROP CONSTRAINT ck_ledger_accounts_code,
        ADD CONSTRAINT ck_ledger_accounts_code CHECK (code IN (
          'agent_pending', 'agent_available', 'company_receivable',
          'platform_fees', 'platform_clearing', 'platform_adjustments'))`);
  }
}
