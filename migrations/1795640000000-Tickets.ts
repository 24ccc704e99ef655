import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Escalated tickets, their claims (one active per ticket, by a partial unique index), release
 * cool-downs, and company webhooks with their delivery log.
 */
export class Tickets1795640000000 implements MigrationInterface {
  name = 'Tickets1795640000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tickets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        company_id uuid NOT NULL CONSTRAINT fk_tickets_company REFERENCES companies (id),
        external_id text NOT NULL CONSTRAINT ck_tickets_external_id CHECK (length(external_id) BETWEEN 1 AND 200),
        -- SHA-256 of the canonical intake payload: same externalId + same payload = same ticket
        intake_hash text NOT NULL,
        subject text NOT NULL CONSTRAINT ck_tickets_subject CHECK (length(subject) BETWEEN 1 AND 300),
        summary text NOT NULL,
        transcript jsonb NOT NULL,
        bot_attempts jsonb NOT NULL,
        language text NOT NULL CONSTRAINT ck_tickets_language CHECK (language ~ '^[a-z]{2}$'),
        -- 0 low, 1 normal, 2 high, 3 urgent; rank is bumped on an SLA breach
        priority smallint NOT NULL CONSTRAINT ck_tickets_priority CHECK (priority BETWEEN 0 AND 3),
        rank smallint NOT NULL CONSTRAINT ck_tickets_rank CHECK (rank BETWEEN 0 AND 3),
        customer_ref text,
        metadata jsonb NOT NULL DEFAULT '{}',
        claim_sla_seconds int NOT NULL CONSTRAINT ck_tickets_sla CHECK (claim_sla_seconds BETWEEN 30 AND 604800),
        sla_deadline timestamptz NOT NULL,
        sla_breached_at timestamptz,
        -- required skills as parallel arrays sorted by code: matching checks them from the row
        -- it already walks to, with no join (the hot path at a million tickets)
        skill_codes text[] NOT NULL,
        -- current minimum levels; lowered by one after an SLA breach
        skill_levels smallint[] NOT NULL,
        -- the levels the bot asked for
        requested_levels smallint[] NOT NULL,
        -- the matching bucket: the first required skill in code order, '' when none
        primary_skill text NOT NULL,
        status text NOT NULL DEFAULT 'open'
          CONSTRAINT ck_tickets_status CHECK (status IN ('open', 'claimed', 'resolved')),
        claimed_by uuid CONSTRAINT fk_tickets_claimed_by REFERENCES agents (user_id),
        claimed_at timestamptz,
        last_activity_at timestamptz,
        resolved_at timestamptz,
        reopen_count int NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_tickets_external_id UNIQUE (company_id, external_id),
        CONSTRAINT ck_tickets_skills CHECK (
          cardinality(skill_codes) <= 5
          AND cardinality(skill_levels) = cardinality(skill_codes)
          AND cardinality(requested_levels) = cardinality(skill_codes)
          AND 1 <= ALL (skill_levels) AND 5 >= ALL (skill_levels)
          AND primary_skill = coalesce(skill_codes[1], '')),
        CONSTRAINT ck_tickets_claimed CHECK ((status = 'claimed') = (claimed_by IS NOT NULL))
      )`);
    // The matching walk: per company, language and primary skill, best first. Only open rows.
    await q.query(`
      CREATE INDEX ix_tickets_open_match
          ON tickets (company_id, language, primary_skill, rank DESC, sla_deadline, created_at)
       WHERE status = 'open'`);
    await q.query(
      `CREATE INDEX ix_tickets_company_created ON tickets (company_id, created_at DESC, id DESC)`,
    );
    // The ticket transition table (TICKET_TRANSITIONS in code), enforced here too.
    await q.query(`
      CREATE FUNCTION tickets_transition() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
             (OLD.status = 'open' AND NEW.status = 'claimed')
          OR (OLD.status = 'claimed' AND NEW.status IN ('open', 'resolved'))
          OR (OLD.status = 'resolved' AND NEW.status = 'open')
        ) THEN
          RAISE EXCEPTION 'ticket cannot go from % to %', OLD.status, NEW.status
            USING ERRCODE = '23514', CONSTRAINT = 'ck_tickets_transition';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER trg_tickets_transition BEFORE UPDATE OF status ON tickets
      FOR EACH ROW EXECUTE FUNCTION tickets_transition()`);

    await q.query(`
      CREATE TABLE ticket_claims (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        ticket_id uuid NOT NULL CONSTRAINT fk_ticket_claims_ticket REFERENCES tickets (id),
        agent_id uuid NOT NULL CONSTRAINT fk_ticket_claims_agent REFERENCES agents (user_id),
        company_id uuid NOT NULL CONSTRAINT fk_ticket_claims_company REFERENCES companies (id),
        shift_id uuid NOT NULL CONSTRAINT fk_ticket_claims_shift REFERENCES shifts (id),
        status text NOT NULL DEFAULT 'active'
          CONSTRAINT ck_ticket_claims_status CHECK (status IN ('active', 'released', 'resolved')),
        claimed_at timestamptz NOT NULL DEFAULT now(),
        released_at timestamptz,
        release_reason text,
        released_by text CONSTRAINT ck_ticket_claims_released_by
          CHECK (released_by IN ('agent', 'handle_timeout', 'shift_end')),
        resolved_at timestamptz,
        resolution_summary text,
        -- pay for this resolution, fixed from the shift's rate when resolved
        rate_amount_minor bigint,
        rate_currency char(3),
        reopened_at timestamptz,
        CONSTRAINT ck_ticket_claims_state CHECK (
          (status = 'active' AND released_at IS NULL AND resolved_at IS NULL)
          OR (status = 'released' AND released_at IS NOT NULL AND released_by IS NOT NULL)
          OR (status = 'resolved' AND resolved_at IS NOT NULL AND rate_amount_minor IS NOT NULL))
      )`);
    // At most one active claim per ticket, whatever the code does.
    await q.query(
      `CREATE UNIQUE INDEX uq_ticket_claims_active ON ticket_claims (ticket_id) WHERE status = 'active'`,
    );
    await q.query(
      `CREATE INDEX ix_ticket_claims_agent_active ON ticket_claims (agent_id) WHERE status = 'active'`,
    );
    await q.query(
      `CREATE INDEX ix_ticket_claims_shift_active ON ticket_claims (shift_id) WHERE status = 'active'`,
    );
    await q.query(`CREATE INDEX ix_ticket_claims_ticket ON ticket_claims (ticket_id, claimed_at)`);
    await q.query(`
      CREATE FUNCTION ticket_claims_transition() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status IS DISTINCT FROM OLD.status AND OLD.status <> 'active' THEN
          RAISE EXCEPTION 'ticket claim cannot go from % to %', OLD.status, NEW.status
            USING ERRCODE = '23514', CONSTRAINT = 'ck_ticket_claims_transition';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER trg_ticket_claims_transition BEFORE UPDATE OF status ON ticket_claims
      FOR EACH ROW EXECUTE FUNCTION ticket_claims_transition()`);

    await q.query(`
      CREATE TABLE ticket_cooldowns (
        ticket_id uuid NOT NULL CONSTRAINT fk_ticket_cooldowns_ticket REFERENCES tickets (id) ON DELETE CASCADE,
        agent_id uuid NOT NULL CONSTRAINT fk_ticket_cooldowns_agent REFERENCES agents (user_id) ON DELETE CASCADE,
        until timestamptz NOT NULL,
        CONSTRAINT pk_ticket_cooldowns PRIMARY KEY (ticket_id, agent_id)
      )`);

    await q.query(`
      CREATE TABLE webhook_endpoints (
        company_id uuid PRIMARY KEY CONSTRAINT fk_webhook_endpoints_company REFERENCES companies (id),
        url text NOT NULL CONSTRAINT ck_webhook_endpoints_url CHECK (url ~ '^https?://'),
        -- needed in clear to sign; shown to the company once
        secret text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        company_id uuid NOT NULL CONSTRAINT fk_webhook_deliveries_company REFERENCES companies (id),
        event_id uuid NOT NULL,
        event_type text NOT NULL,
        payload jsonb NOT NULL,
        url text NOT NULL,
        status text NOT NULL DEFAULT 'pending'
          CONSTRAINT ck_webhook_deliveries_status CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts int NOT NULL DEFAULT 0,
        last_attempt_at timestamptz,
        last_status_code int,
        last_error text,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_webhook_deliveries_event UNIQUE (company_id, event_id)
      )`);
    await q.query(
      `CREATE INDEX ix_webhook_deliveries_company ON webhook_deliveries (company_id, created_at DESC, id DESC)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE webhook_endpoints`);
    await q.query(`DROP TABLE ticket_cooldowns`);
    await q.query(`DROP TABLE ticket_claims`);
    await q.query(`DROP FUNCTION ticket_claims_transition()`);
    await q.query(`DROP TABLE tickets`);
    await q.query(`DROP FUNCTION tickets_transition()`);
  }
}
