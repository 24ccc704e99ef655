import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A payout run keeps the minimum it was drafted with (per currency since
 * PAYOUT_MINIMUM_MINOR_BY_CURRENCY): its lines are sent under the rule finance approved, not
 * under a configuration changed since. Null for runs drafted before: the configuration's.
 */
export class RunMinimums1796190000000 implements MigrationInterface {
  name = 'RunMinimums1796190000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE payout_runs ADD COLUMN minimum_minor bigint
        CONSTRAINT ck_payout_runs_minimum CHECK (minimum_minor >= 1)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payout_runs DROP COLUMN minimum_minor`);
  }
}
