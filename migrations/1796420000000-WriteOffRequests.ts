import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who asked for an invoice's write-off, and why, kept on the invoice before Stripe is asked:
 * the write-off is booked by whichever of our call's answer and Stripe's event is applied
 * first, and the entry names them either way (before, the reason reached the ledger only if
 * the call's answer was applied first, and the user never).
 */
export class WriteOffRequests1796420000000 implements MigrationInterface {
  name = 'WriteOffRequests1796420000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE invoices
        ADD COLUMN write_off_requested_at timestamptz,
        ADD COLUMN write_off_requested_by uuid
          CONSTRAINT fk_invoices_write_off_requested_by REFERENCES users (id),
        ADD COLUMN write_off_reason text,
        ADD CONSTRAINT ck_invoices_write_off_request
          CHECK ((write_off_requested_by IS NULL) = (write_off_reason IS NULL)
                 AND (write_off_requested_by IS NULL) = (write_off_requested_at IS NULL))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE invoices
        DROP COLUMN write_off_reason,
        DROP COLUMN write_off_requested_by,
        DROP COLUMN write_off_requested_at`);
  }
}
