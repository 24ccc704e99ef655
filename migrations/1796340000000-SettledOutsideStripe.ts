import { MigrationInterface, QueryRunner } from 'typeorm';

const CODES = `'agent_pending', 'agent_available', 'company_receivable',
  'platform_fees', 'platform_clearing', 'platform_adjustments',
  'platform_cash', 'platform_bad_debt', 'platform_disputes', 'platform_refunds'`;

/**
 * `platform_settled_outside`: what settled an invoice other than money into the platform's
 * Stripe balance — paid outside Stripe (marked so in its dashboard), or a credit on the
 * customer's Stripe balance that a finalization there applied. Before, a paid invoice booked its
 * whole total as Stripe cash whatever Stripe had collected.
 */
export class SettledOutsideStripe1796340000000 implements MigrationInterface {
  name = 'SettledOutsideStripe1796340000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE ledger_accounts DROP CONSTRAINT ck_ledger_accounts_code,
        ADD CONSTRAINT ck_ledger_accounts_code
          CHECK (code IN (${CODES}, 'platform_settled_outside'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM ledger_accounts WHERE code = 'platform_settled_outside'
                     AND NOT EXISTS (SELECT 1 FROM journal_lines l
                                      WHERE l.account_id = ledger_accounts.id)`);
    await q.query(`
      ALTER TABLE ledger_accounts DROP CONSTRAINT ck_ledger_accounts_code,
        ADD CONSTRAINT ck_ledger_accounts_code CHECK (code IN (${CODES}))`);
  }
}
