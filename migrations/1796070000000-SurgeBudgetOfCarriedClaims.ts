import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A claim's surge extra stays on the budget that reserved it. When a shift ends or its agent
 * checks out, the claims the agent still holds are carried to their live shift of the same
 * company (ShiftEndReleaseHandler), which changed `shift_id` only: surge_committed, summing by
 * `shift_id`, then freed the extra on the first shift (whose later claims could spend it again,
 * past its budget) and charged it to the second (which never reserved it, and might have no
 * surge at all). `surge_shift_id` records the shift whose budget reserved the extra when the
 * claim has moved off it; null while the claim is still on that shift, so the claim writes and
 * the index they use stay as they were.
 */
export class SurgeBudgetOfCarriedClaims1796070000000 implements MigrationInterface {
  name = 'SurgeBudgetOfCarriedClaims1796070000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE ticket_claims
        ADD COLUMN surge_shift_id uuid
          CONSTRAINT fk_ticket_claims_surge_shift REFERENCES shifts (id)`);
    await q.query(`CREATE INDEX ix_ticket_claims_surge_shift ON ticket_claims (surge_shift_id)
                    WHERE surge_shift_id IS NOT NULL`);
    await q.query(
      this.committed(`(shift_id = p_shift AND surge_shift_id IS NULL
                                     OR surge_shift_id = p_shift)`),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(this.committed('shift_id = p_shift'));
    await q.query('ALTER TABLE ticket_claims DROP COLUMN surge_shift_id');
  }

  /** surge_committed (migration Surge) with the claims of a shift picked by `claimsOfShift`. */
  private committed(claimsOfShift: string): string {
    return `
      CREATE OR REPLACE FUNCTION surge_committed(p_shift uuid) RETURNS bigint
      LANGUAGE sql STABLE AS $$
        SELECT coalesce((SELECT sum(surge_extra_minor) FROM ticket_claims
                          WHERE ${claimsOfShift} AND surge_extra_minor > 0
                            AND (status = 'active' OR (status = 'resolved' AND reopened_at IS NULL))), 0)
             + coalesce((SELECT sum(surge_extra_minor) FROM offers
                          WHERE shift_id = p_shift AND status = 'pending' AND surge_extra_minor > 0
                            AND expires_at > now()), 0)
      $$`;
  }
}
