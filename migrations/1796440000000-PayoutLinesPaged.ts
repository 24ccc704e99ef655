import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A run's lines are read a page at a time (GET /v1/payout-runs/{id}/lines), largest amount
 * first, optionally of one status: an index in each order reads a page and stops, where the
 * run's 50,000 lines would otherwise be sorted for every page. The status one replaces
 * ix_payout_lines_run_status, whose (run, status) prefix it keeps for the statements that read it.
 */
export class PayoutLinesPaged1796440000000 implements MigrationInterface {
  name = 'PayoutLinesPaged1796440000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX ix_payout_lines_run_amount ON payout_lines (run_id, amount_minor, id)`,
    );
    await q.query(
      `CREATE INDEX ix_payout_lines_run_status_amount
         ON payout_lines (run_id, status, amount_minor, id)`,
    );
    await q.query(`DROP INDEX ix_payout_lines_run_status`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX ix_payout_lines_run_status ON payout_lines (run_id, status)`);
    await q.query(`DROP INDEX ix_payout_lines_run_status_amount`);
    await q.query(`DROP INDEX ix_payout_lines_run_amount`);
  }
}
