import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every finished payout line asks "is anything of this run still in flight?". Through the
 * run_id index that walked every line of the run (31k heap fetches, 60 ms, at 30k of 50k paid);
 * this partial index holds only the lines in flight, so the answer is one probe.
 */
export class PayoutLinesInFlight1795680000000 implements MigrationInterface {
  name = 'PayoutLinesInFlight1795680000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX ix_payout_lines_in_flight ON payout_lines (run_id)
        WHERE status IN ('pending', 'processing')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_payout_lines_in_flight`);
  }
}
