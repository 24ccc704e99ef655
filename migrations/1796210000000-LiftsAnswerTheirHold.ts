import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Finance's lift answers the hold it was given for (its reason and since when): a hold that
 * starts or changes reason during the lift (an invoice going past due under a lifted credit
 * limit) blocks again. Lifts given before this keep answering whatever hold is there (both
 * null), as they did, until they lapse.
 */
export class LiftsAnswerTheirHold1796210000000 implements MigrationInterface {
  name = 'LiftsAnswerTheirHold1796210000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE credit_controls
        ADD COLUMN lifted_hold_reason text,
        ADD COLUMN lifted_hold_since timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE credit_controls DROP COLUMN lifted_hold_since, DROP COLUMN lifted_hold_reason`);
  }
}
