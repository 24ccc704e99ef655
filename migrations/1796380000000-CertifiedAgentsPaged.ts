import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A company's certified agents are listed a page at a time, newest certification first with
 * the agent's id as the tiebreaker: an index in that order reads a page, not the company's every
 * certification (the primary key, company then agent, has no date to stop at).
 */
export class CertifiedAgentsPaged1796380000000 implements MigrationInterface {
  name = 'CertifiedAgentsPaged1796380000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX ix_certifications_company_certified
         ON certifications (company_id, certified_at DESC, agent_id DESC)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_certifications_company_certified`);
  }
}
