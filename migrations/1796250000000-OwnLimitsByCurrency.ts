import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Finance sets a company's own credit limit for one currency (`credit_limits_by_currency`,
 * currency code → minor units), beside the one it may set for every currency: one number for
 * all held an IDR company after about $0.30, or let a JPY one owe a fortune.
 */
export class OwnLimitsByCurrency1796250000000 implements MigrationInterface {
  name = 'OwnLimitsByCurrency1796250000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE credit_controls
        ADD COLUMN credit_limits_by_currency jsonb NOT NULL DEFAULT '{}'
          CONSTRAINT ck_credit_controls_limits_by_currency
          CHECK (jsonb_typeof(credit_limits_by_currency) = 'object')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE credit_controls DROP COLUMN credit_limits_by_currency`);
  }
}
