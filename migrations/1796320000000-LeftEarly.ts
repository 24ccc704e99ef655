import { MigrationInterface, QueryRunner } from 'typeorm';

const STATUS_CHECK = (withLeftEarly: boolean) => `
  (status = 'claimed')
  OR (status = 'checked_in' AND checked_in_at IS NOT NULL)
  OR (status = 'completed' AND completed_at IS NOT NULL)${
    withLeftEarly
      ? `
  OR (status = 'left_early' AND checked_out_at IS NOT NULL)`
      : ''
  }
  OR (status = 'cancelled' AND cancelled_at IS NOT NULL AND cancelled_by IS NOT NULL)
  OR (status = 'no_show' AND no_show_at IS NOT NULL)`;

const TRANSITION = (withLeftEarly: boolean) => `
  CREATE OR REPLACE FUNCTION shift_claims_transition() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
         (OLD.status = 'claimed' AND NEW.status IN ('checked_in', 'cancelled', 'no_show'))
      OR (OLD.status = 'checked_in' AND NEW.status IN ('completed', ${withLeftEarly ? "'left_early', " : ''}'cancelled'))
    ) THEN
      RAISE EXCEPTION 'shift claim cannot go from % to %', OLD.status, NEW.status
        USING ERRCODE = '23514', CONSTRAINT = 'ck_shift_claims_transition';
    END IF;
    RETURN NEW;
  END $$`;

/**
 * A seat whose agent checked out while it could still be given to someone else (before direct
 * claims close) ends `left_early`: its seat is free again, and it counts against reliability as
 * a late cancellation does. It was `completed`, a seat worked, however little: checking in and
 * out at once counted as a reliable shift, and the seat stayed taken to the end.
 * The CHECK is replaced in the migration's transaction: shift_claims is scanned under an
 * exclusive lock (seconds at today's sizes; NOT VALID then VALIDATE would only help in two
 * transactions). `cancelled_by = 'company'` on a seat left early: the company ended it (a
 * revoked certification), not counted against the agent.
 */
export class LeftEarly1796320000000 implements MigrationInterface {
  name = 'LeftEarly1796320000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE shift_claims DROP CONSTRAINT ck_shift_claims_status,
      ADD CONSTRAINT ck_shift_claims_status CHECK (${STATUS_CHECK(true)})`);
    await q.query(TRANSITION(true));
  }

  async down(q: QueryRunner): Promise<void> {
    // The nearest earlier state that keeps both meanings: no seat used (seats_taken already
    // gave it back, perhaps to someone else), and a cancellation: the agent's, late, when it
    // counted (not one the company ended, nor a seat the waitlist gave late: GIVEN_LATE, with
    // the default 120-minute window).
    await q.query(`ALTER TABLE shift_claims DISABLE TRIGGER trg_shift_claims_transition`);
    await q.query(`UPDATE shift_claims c SET status = 'cancelled', cancelled_at = c.checked_out_at,
                          cancelled_by = coalesce(c.cancelled_by, 'agent'),
                          late_cancellation = c.cancelled_by IS NULL
                            AND NOT (c.source = 'waitlist'
                                     AND c.claimed_at > lower(c.period) - interval '120 minutes')
                    WHERE c.status = 'left_early'`);
    await q.query(`ALTER TABLE shift_claims ENABLE TRIGGER trg_shift_claims_transition`);
    await q.query(TRANSITION(false));
    await q.query(`ALTER TABLE shift_claims DROP CONSTRAINT ck_shift_claims_status,
      ADD CONSTRAINT ck_shift_claims_status CHECK (${STATUS_CHECK(false)})`);
  }
}
