import { MigrationInterface, QueryRunner } from 'typeorm';

/** A suspension releases the agent's tickets and cancels its seats, and says so on each. */
export class SuspensionEndsWork1795830000000 implements MigrationInterface {
  name = 'SuspensionEndsWork1795830000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE ticket_claims
        DROP CONSTRAINT ck_ticket_claims_released_by,
        ADD CONSTRAINT ck_ticket_claims_released_by
          CHECK (released_by IN ('agent', 'handle_timeout', 'shift_end', 'suspension'))`);
    await q.query(`
      ALTER TABLE shift_claims
        DROP CONSTRAINT ck_shift_claims_cancelled_by,
        ADD CONSTRAINT ck_shift_claims_cancelled_by
          CHECK (cancelled_by IN ('agent', 'company', 'suspension'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE shift_claims
        DROP CONSTRAINT ck_shift_claims_cancelled_by,
        ADD CONSTRAINT ck_shift_claims_cancelled_by CHECK (cancelled_by IN ('agent', 'company'))`);
    await q.query(`
      ALTER TABLE ticket_claims
        DROP CONSTRAINT ck_ticket_claims_released_by,
        ADD CONSTRAINT ck_ticket_claims_released_by
          CHECK (released_by IN ('agent', 'handle_timeout', 'shift_end'))`);
  }
}
