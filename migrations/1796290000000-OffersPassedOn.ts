import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The router widens its window over an agent's candidates by the tickets the agent passed on
 * (declined or let expire) on its shift, counted on every pass for each agent it looks at: this
 * index reads that count from those offers alone, not from the agent's whole offer history.
 */
export class OffersPassedOn1796290000000 implements MigrationInterface {
  name = 'OffersPassedOn1796290000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX ix_offers_passed_on ON offers (agent_id, shift_id)
                   WHERE status IN ('declined', 'expired')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_offers_passed_on`);
  }
}
