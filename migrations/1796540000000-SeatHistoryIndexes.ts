import { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexesConcurrently, dropIndexes, IndexSpec } from './support/concurrent-indexes';

const INDEXES: IndexSpec[] = [
  // The platform's reliability over the last days (every agent's reliability read): seats by
  // when they were last judged, whichever way they ended.
  [
    'ix_shift_claims_ended',
    'shift_claims ((greatest(completed_at, cancelled_at, no_show_at, checked_out_at)))',
  ],
  // A company's worked seats since an instant (every page of open shifts, for the expected
  // hourly pay): one index for each way a seat is worked, which the query's OR reads together.
  [
    'ix_shift_claims_company_completed',
    "shift_claims (company_id, completed_at) WHERE status = 'completed'",
  ],
  [
    'ix_shift_claims_company_left_early',
    "shift_claims (company_id, checked_out_at) WHERE status = 'left_early'",
  ],
];

/**
 * Two reads on agents' pages scanned every seat ever held (ShiftClaimViewsRepository's
 * platformReliability and companyHistory): fine for the benches' months, not for years of seats.
 * Built CONCURRENTLY (seats are written by every claim, check-in and no-show), and a build cut
 * short is dropped and built again, as RetentionIndexes does.
 */
export class SeatHistoryIndexes1796540000000 implements MigrationInterface {
  name = 'SeatHistoryIndexes1796540000000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await createIndexesConcurrently(q, INDEXES);
    // Statistics for the new expression at once, not at autovacuum's next pass: without them
    // the planner guesses its range and may keep scanning the table.
    await q.query('ANALYZE shift_claims');
  }

  async down(q: QueryRunner): Promise<void> {
    await dropIndexes(q, INDEXES);
  }
}
