import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Disputes and credit notes on invoices (issue 18): the dispute Stripe opened on an invoice's
 * charge and where it stands, and what finance credited on the invoice (credit notes).
 */
export class InvoiceDisputes1796010000000 implements MigrationInterface {
  name = 'InvoiceDisputes1796010000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE invoices
        ADD COLUMN dispute_id text,
        ADD COLUMN dispute_status text,
        ADD COLUMN disputed_minor bigint,
        ADD COLUMN credited_minor bigint NOT NULL DEFAULT 0
          CONSTRAINT ck_invoices_credited CHECK (credited_minor >= 0),
        ADD CONSTRAINT ck_invoices_dispute CHECK ((dispute_id IS NULL) = (dispute_status IS NULL))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE invoices DROP CONSTRAINT ck_invoices_dispute,
        DROP COLUMN credited_minor, DROP COLUMN disputed_minor, DROP COLUMN dispute_status,
        DROP COLUMN dispute_id`);
  }
}
