import { MigrationInterface, QueryRunner } from 'typeorm';

const LINES = `'shift', 'reversals', 'carried_credit', 'withheld_credits', 'restored_credits',
  'rebilled_disputes', 'carried_balance'`;

/**
 * `appealed_disputes`: what a lost dispute billed again became once the dispute was won on
 * appeal, credited back (or withheld again when the invoice that billed it went unpaid). Before,
 * the credit-back printed under `rebilled_disputes` ("billed again") with a negative amount.
 */
export class AppealedDisputes1796350000000 implements MigrationInterface {
  name = 'AppealedDisputes1796350000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE invoice_lines DROP CONSTRAINT ck_invoice_lines_kind,
        ADD CONSTRAINT ck_invoice_lines_kind CHECK (kind IN (${LINES}, 'appealed_disputes'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Fails while an invoice has such a line (as it should: down would lose what it says).
    await q.query(`
      ALTER TABLE invoice_lines DROP CONSTRAINT ck_invoice_lines_kind,
        ADD CONSTRAINT ck_invoice_lines_kind CHECK (kind IN (${LINES}))`);
  }
}
