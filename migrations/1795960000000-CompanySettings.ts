import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A company's settings for billing (issue 18): its time zone (a billing period closes at
 * midnight there), how often it is invoiced, and where invoices go. Existing companies get UTC,
 * weekly and no billing email (invoices then go to the admin who signed up).
 */
export class CompanySettings1795960000000 implements MigrationInterface {
  name = 'CompanySettings1795960000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE companies
        ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC',
        ADD COLUMN billing_period text NOT NULL DEFAULT 'weekly'
          CONSTRAINT ck_companies_billing_period CHECK (billing_period IN ('weekly', 'monthly')),
        ADD COLUMN billing_email text,
        ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE companies DROP COLUMN time_zone, DROP COLUMN billing_period,
        DROP COLUMN billing_email, DROP COLUMN updated_at`);
  }
}
