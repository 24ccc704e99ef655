import { MigrationInterface, QueryRunner } from 'typeorm';

const LINES = `'shift', 'reversals', 'carried_credit', 'withheld_credits', 'restored_credits',
  'rebilled_disputes'`;

/**
 * A period whose total is below Stripe's smallest charge for its currency is not sent to Stripe
 * (which would mark it paid without charging and keep the amount on the customer's Stripe
 * balance, then add it to the next invoice behind our books): the invoice charges nothing and
 * carries the amount to the next one, as a credit is carried. Carried amounts may therefore be
 * positive, but only out of an invoice that charged nothing; the next invoice shows it as a
 * `carried_balance` line.
 */
export class CarriedBelowMinimum1796300000000 implements MigrationInterface {
  name = 'CarriedBelowMinimum1796300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE invoices
        DROP CONSTRAINT ck_invoices_carried_in,
        DROP CONSTRAINT ck_invoices_carried_out,
        ADD CONSTRAINT ck_invoices_carried_out CHECK (carried_out_minor <= 0 OR total_minor = 0)`);
    await q.query(`
      ALTER TABLE invoice_lines DROP CONSTRAINT ck_invoice_lines_kind,
        ADD CONSTRAINT ck_invoice_lines_kind CHECK (kind IN (${LINES}, 'carried_balance'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE invoice_lines DROP CONSTRAINT ck_invoice_lines_kind,
        ADD CONSTRAINT ck_invoice_lines_kind CHECK (kind IN (${LINES}))`);
    // Fails while an invoice carries a positive amount (as it should: down would lose it).
    await q.query(`
      ALTER TABLE invoices
        DROP CONSTRAINT ck_invoices_carried_out,
        ADD CONSTRAINT ck_invoices_carried_in CHECK (carried_in_minor <= 0),
        ADD CONSTRAINT ck_invoices_carried_out CHECK (carried_out_minor <= 0)`);
  }
}
