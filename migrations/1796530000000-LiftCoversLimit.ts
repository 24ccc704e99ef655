import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `credit_controls.lift_covers_limit`: the running lift answers the credit limit too, beside the
 * invoice hold it names.
 *
 * A lift has one slot, and an invoice hold came before the credit limit: a company whose
 * past-due invoice finance lifted could owe without any limit while the lift ran (up to 30
 * days). The limit now holds it again under an invoice lift; finance lifting that hold keeps the
 * invoices' lift and adds the limit to it (and the other way round), so neither replaces the
 * other. False for every lift given before: each answers what it answered.
 */
export class LiftCoversLimit1796530000000 implements MigrationInterface {
  name = 'LiftCoversLimit1796530000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE credit_controls ADD COLUMN lift_covers_limit boolean NOT NULL DEFAULT false`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE credit_controls DROP COLUMN lift_covers_limit`);
  }
}
