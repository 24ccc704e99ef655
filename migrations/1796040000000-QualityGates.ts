import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Quality gates and routing (issue 19): a shift may require a minimum quality score, and open
 * for its first hours only to agents at or above another; `agent_quality` keeps each agent's
 * score and tier, refreshed from ratings and reviews, for the push router to read per offer.
 */
export class QualityGates1796040000000 implements MigrationInterface {
  name = 'QualityGates1796040000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE shifts
        ADD COLUMN min_quality numeric(5, 4)
          CONSTRAINT ck_shifts_min_quality CHECK (min_quality BETWEEN 0 AND 1),
        ADD COLUMN early_access_hours int
          CONSTRAINT ck_shifts_early_access_hours CHECK (early_access_hours BETWEEN 1 AND 168),
        ADD COLUMN early_access_min_quality numeric(5, 4)
          CONSTRAINT ck_shifts_early_access_min_quality
            CHECK (early_access_min_quality BETWEEN 0 AND 1),
        ADD CONSTRAINT ck_shifts_early_access
          CHECK ((early_access_hours IS NULL) = (early_access_min_quality IS NULL))`);
    await q.query(`
      CREATE TABLE agent_quality (
        agent_id uuid PRIMARY KEY CONSTRAINT fk_agent_quality_agent REFERENCES agents (user_id),
        inputs int NOT NULL,
        score numeric NOT NULL,
        tier text NOT NULL CONSTRAINT ck_agent_quality_tier CHECK (tier IN ('top', 'middle', 'bottom')),
        refreshed_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE agent_quality`);
    await q.query(`
      ALTER TABLE shifts DROP CONSTRAINT ck_shifts_early_access,
        DROP COLUMN early_access_min_quality, DROP COLUMN early_access_hours,
        DROP COLUMN min_quality`);
  }
}
