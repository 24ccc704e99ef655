import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Finance waives the hold of an invoice written off unpaid (a debt forgiven, or settled for
 * less outside Stripe): the company may post shifts again for good, without a lift to renew
 * every 30 days. Who waived it and why are kept beside when (`hold_waived_at`, which
 * WrittenOffHolds set for the invoices written off before those holds existed, with neither).
 */
export class HoldWaivers1796240000000 implements MigrationInterface {
  name = 'HoldWaivers1796240000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE invoices
        ADD COLUMN hold_waived_by uuid CONSTRAINT fk_invoices_hold_waived_by REFERENCES users (id),
        ADD COLUMN hold_waived_reason text,
        ADD CONSTRAINT ck_invoices_hold_waiver
          CHECK ((hold_waived_by IS NULL) = (hold_waived_reason IS NULL)
                 AND (hold_waived_by IS NULL OR hold_waived_at IS NOT NULL)
                 AND btrim(hold_waived_reason) <> '')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE invoices DROP CONSTRAINT ck_invoices_hold_waiver,
        DROP COLUMN hold_waived_reason, DROP COLUMN hold_waived_by`);
  }
}
