import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A lift answers a hold by what finance looked at, not by when the hold began: a credit-limit
 * lift answers any credit-limit hold while it runs (a payment or a reopen that clears the hold
 * for a moment no longer ends it), and an invoice lift answers the hold while every invoice it
 * names is one the lift was given for (a second invoice going past due blocks again; the same
 * invoice written off does not). The hold's invoices get a column of their own, for intake's
 * escalation flag to compare in SQL. A lift that answers its hold now keeps answering it.
 */
export class LiftsAnswerTheirInvoices1796220000000 implements MigrationInterface {
  name = 'LiftsAnswerTheirInvoices1796220000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE credit_controls
        ADD COLUMN hold_invoice_ids uuid[] NOT NULL DEFAULT '{}',
        ADD COLUMN lifted_invoice_ids uuid[] NOT NULL DEFAULT '{}'`);
    await q.query(`
      UPDATE credit_controls
         SET hold_invoice_ids =
               ARRAY(SELECT jsonb_array_elements_text(hold_details -> 'invoiceIds'))::uuid[]
       WHERE jsonb_typeof(hold_details -> 'invoiceIds') = 'array'`);
    await q.query(`
      UPDATE credit_controls SET lifted_invoice_ids = hold_invoice_ids
       WHERE lifted_hold_since = hold_since`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE credit_controls DROP COLUMN lifted_invoice_ids, DROP COLUMN hold_invoice_ids`);
  }
}
