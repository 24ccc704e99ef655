import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Quality (issue 19): the bot's rating of a resolution (one per ticket), the company's review
 * of it (one per ticket, disputable once by the agent, upheld or removed by an admin), and the
 * agent's flag on the bot's handoff, kept on the claim that resolved.
 */
export class Quality1796030000000 implements MigrationInterface {
  name = 'Quality1796030000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE ticket_claims
        ADD COLUMN handoff_complete boolean,
        ADD COLUMN handoff_missing text[] NOT NULL DEFAULT '{}',
        -- Items missing only from a handoff flagged incomplete.
        ADD CONSTRAINT ck_ticket_claims_handoff
          CHECK (handoff_complete IS NOT TRUE OR cardinality(handoff_missing) = 0)`);
    await q.query(`
      CREATE TABLE ticket_ratings (
        ticket_id uuid PRIMARY KEY CONSTRAINT fk_ticket_ratings_ticket REFERENCES tickets (id),
        claim_id uuid NOT NULL CONSTRAINT fk_ticket_ratings_claim REFERENCES ticket_claims (id),
        agent_id uuid NOT NULL CONSTRAINT fk_ticket_ratings_agent REFERENCES agents (user_id),
        company_id uuid NOT NULL CONSTRAINT fk_ticket_ratings_company REFERENCES companies (id),
        csat smallint NOT NULL CONSTRAINT ck_ticket_ratings_csat CHECK (csat BETWEEN 1 AND 5),
        comment text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ix_ticket_ratings_agent ON ticket_ratings (agent_id, created_at)`);
    await q.query(`CREATE INDEX ix_ticket_ratings_created ON ticket_ratings (created_at)`);
    await q.query(`
      CREATE TABLE ticket_reviews (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        ticket_id uuid NOT NULL CONSTRAINT fk_ticket_reviews_ticket REFERENCES tickets (id)
          CONSTRAINT uq_ticket_reviews_ticket UNIQUE,
        claim_id uuid NOT NULL CONSTRAINT fk_ticket_reviews_claim REFERENCES ticket_claims (id),
        agent_id uuid NOT NULL CONSTRAINT fk_ticket_reviews_agent REFERENCES agents (user_id),
        company_id uuid NOT NULL CONSTRAINT fk_ticket_reviews_company REFERENCES companies (id),
        reviewer_id uuid NOT NULL CONSTRAINT fk_ticket_reviews_reviewer REFERENCES users (id),
        score smallint NOT NULL CONSTRAINT ck_ticket_reviews_score CHECK (score BETWEEN 1 AND 5),
        tags text[] NOT NULL DEFAULT '{}' CONSTRAINT ck_ticket_reviews_tags
          CHECK (tags <@ ARRAY['empathy', 'accuracy', 'speed', 'tone', 'policy']),
        note text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        dispute_status text CONSTRAINT ck_ticket_reviews_dispute_status
          CHECK (dispute_status IN ('pending', 'upheld', 'removed')),
        dispute_reason text,
        disputed_at timestamptz,
        decided_by uuid CONSTRAINT fk_ticket_reviews_decided_by REFERENCES users (id),
        decided_at timestamptz,
        decision_note text,
        CONSTRAINT ck_ticket_reviews_dispute CHECK (
          (dispute_status IS NULL AND disputed_at IS NULL AND dispute_reason IS NULL)
          OR (dispute_status IS NOT NULL AND disputed_at IS NOT NULL AND dispute_reason IS NOT NULL)),
        CONSTRAINT ck_ticket_reviews_decision CHECK (
          (dispute_status IN ('upheld', 'removed')) = (decided_at IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX ix_ticket_reviews_agent ON ticket_reviews (agent_id, created_at)`);
    await q.query(`CREATE INDEX ix_ticket_reviews_created ON ticket_reviews (created_at)`);
    await q.query(
      `CREATE INDEX ix_ticket_reviews_disputed ON ticket_reviews (disputed_at)
        WHERE dispute_status = 'pending'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ticket_reviews`);
    await q.query(`DROP TABLE ticket_ratings`);
    await q.query(`
      ALTER TABLE ticket_claims DROP CONSTRAINT ck_ticket_claims_handoff,
        DROP COLUMN handoff_missing, DROP COLUMN handoff_complete`);
  }
}
