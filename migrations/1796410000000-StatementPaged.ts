import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A company's statement is read a page at a time, by time of resolution with the claim's id as
 * the tiebreaker: an index in that order reads a page and stops, where ix_earnings_company
 * (company, time) had to sort every earning of a page's last instant. The new index serves the
 * statement's totals over a period as the old one did, which nothing else read: it replaces it.
 */
export class StatementPaged1796410000000 implements MigrationInterface {
  name = 'StatementPaged1796410000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX ix_earnings_company_earned ON earnings (company_id, earned_at, claim_id)`,
    );
    await q.query(`DROP INDEX ix_earnings_company`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX ix_earnings_company ON earnings (company_id, earned_at)`);
    await q.query(`DROP INDEX ix_earnings_company_earned`);
  }
}
