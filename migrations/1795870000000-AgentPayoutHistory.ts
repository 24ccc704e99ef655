import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An agent's payout history (GET /v1/agents/me/payouts) reads its paid lines newest first.
 * payout_lines is indexed by run only, so without this every page would scan every line of
 * every run (50,000 a run); the partial index holds paid lines alone, in the page's order.
 */
export class AgentPayoutHistory1795870000000 implements MigrationInterface {
  name = 'AgentPayoutHistory1795870000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX ix_payout_lines_agent_paid ON payout_lines (agent_id, paid_at, id)
        WHERE status = 'paid'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_payout_lines_agent_paid`);
  }
}
