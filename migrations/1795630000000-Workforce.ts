import { MigrationInterface, QueryRunner } from 'typeorm';

const STARTER_SKILLS: [string, string][] = [
  ['billing', 'Billing questions and invoices'],
  ['refunds', 'Refunds'],
  ['payments', 'Failed and disputed payments'],
  ['chargebacks', 'Chargebacks'],
  ['fraud', 'Fraud and suspicious activity'],
  ['account_access', 'Account access and login'],
  ['identity_verification', 'Identity verification'],
  ['privacy', 'Privacy and data requests'],
  ['subscriptions', 'Subscriptions and plan changes'],
  ['shipping', 'Shipping and delivery'],
  ['returns', 'Returns and exchanges'],
  ['order_changes', 'Order changes and cancellations'],
  ['warranty', 'Warranty and repairs'],
  ['technical', 'Technical troubleshooting'],
  ['onboarding', 'Onboarding and setup'],
  ['complaints', 'Complaints'],
  ['retention', 'Retention and cancellation saves'],
  ['accessibility', 'Accessibility needs'],
];

/**
 * Skills, agent profiles and skills, company certifications, shifts, seat claims and
 * waitlists. Seats: seats_taken with a CHECK; overlap: an exclusion constraint; claim state
 * changes: a trigger that only lets the transition table's moves through.
 */
export class Workforce1795630000000 implements MigrationInterface {
  name = 'Workforce1795630000000';

  async up(q: QueryRunner): Promise<void> {
    // Needs a superuser or a pre-installed extension; see docs/operations.md.
    await q.query(`CREATE EXTENSION IF NOT EXISTS btree_gist`);

    await q.query(`
      CREATE TABLE skills (
        code text CONSTRAINT pk_skills PRIMARY KEY
          CONSTRAINT ck_skills_code CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
        name text NOT NULL CONSTRAINT ck_skills_name CHECK (length(name) BETWEEN 1 AND 100),
        retired_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    for (const [code, name] of STARTER_SKILLS) {
      await q.query(`INSERT INTO skills (code, name) VALUES ($1, $2)`, [code, name]);
    }

    await q.query(`
      CREATE TABLE agents (
        user_id uuid PRIMARY KEY CONSTRAINT fk_agents_user REFERENCES users (id) ON DELETE CASCADE,
        display_name text NOT NULL CONSTRAINT ck_agents_display_name CHECK (length(display_name) BETWEEN 1 AND 100),
        time_zone text NOT NULL DEFAULT 'UTC',
        languages text[] NOT NULL DEFAULT '{}',
        max_concurrent_tickets int NOT NULL DEFAULT 3
          CONSTRAINT ck_agents_max_concurrent_tickets CHECK (max_concurrent_tickets BETWEEN 1 AND 10),
        suspended_at timestamptz,
        suspended_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Every existing agent user gets a profile (new ones get it at registration).
    await q.query(`
      INSERT INTO agents (user_id, display_name)
      SELECT id, split_part(email, '@', 1) FROM users WHERE role = 'agent'`);

    await q.query(`
      CREATE TABLE agent_skills (
        agent_id uuid NOT NULL CONSTRAINT fk_agent_skills_agent REFERENCES agents (user_id) ON DELETE CASCADE,
        skill text NOT NULL CONSTRAINT fk_agent_skills_skill REFERENCES skills (code),
        level smallint NOT NULL CONSTRAINT ck_agent_skills_level CHECK (level BETWEEN 1 AND 5),
        CONSTRAINT pk_agent_skills PRIMARY KEY (agent_id, skill)
      )`);
    await q.query(`CREATE INDEX ix_agent_skills_skill ON agent_skills (skill, level)`);

    await q.query(`
      CREATE TABLE certifications (
        company_id uuid NOT NULL CONSTRAINT fk_certifications_company REFERENCES companies (id),
        agent_id uuid NOT NULL CONSTRAINT fk_certifications_agent REFERENCES agents (user_id) ON DELETE CASCADE,
        certified_by uuid CONSTRAINT fk_certifications_certified_by REFERENCES users (id),
        certified_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_certifications PRIMARY KEY (company_id, agent_id)
      )`);
    await q.query(`CREATE INDEX ix_certifications_agent ON certifications (agent_id)`);

    await q.query(`
      CREATE TABLE shifts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        company_id uuid NOT NULL CONSTRAINT fk_shifts_company REFERENCES companies (id),
        title text CONSTRAINT ck_shifts_title CHECK (length(title) <= 200),
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL,
        seats int NOT NULL CONSTRAINT ck_shifts_seats CHECK (seats BETWEEN 1 AND 500),
        -- seats used: claims claimed, checked in or completed; cancellations and no-shows free theirs
        seats_taken int NOT NULL DEFAULT 0,
        languages text[] NOT NULL DEFAULT '{}',
        rate_amount_minor bigint NOT NULL CONSTRAINT ck_shifts_rate CHECK (rate_amount_minor > 0),
        rate_currency char(3) NOT NULL CONSTRAINT ck_shifts_currency CHECK (rate_currency ~ '^[A-Z]{3}$'),
        requires_certification boolean NOT NULL DEFAULT false,
        check_in_grace_minutes int NOT NULL DEFAULT 10
          CONSTRAINT ck_shifts_grace CHECK (check_in_grace_minutes BETWEEN 0 AND 120),
        status text NOT NULL DEFAULT 'scheduled',
        cancelled_at timestamptz,
        cancel_reason text,
        completed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ck_shifts_seats_taken CHECK (seats_taken BETWEEN 0 AND seats),
        CONSTRAINT ck_shifts_window CHECK (
          ends_at - starts_at BETWEEN interval '15 minutes' AND interval '12 hours'),
        CONSTRAINT ck_shifts_status CHECK (
          (status = 'scheduled' AND cancelled_at IS NULL AND completed_at IS NULL)
          OR (status = 'cancelled' AND cancelled_at IS NOT NULL)
          OR (status = 'completed' AND completed_at IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX ix_shifts_company_starts ON shifts (company_id, starts_at, id)`);
    await q.query(
      `CREATE INDEX ix_shifts_scheduled_starts ON shifts (starts_at, id) WHERE status = 'scheduled'`,
    );

    await q.query(`
      CREATE TABLE shift_required_skills (
        shift_id uuid NOT NULL CONSTRAINT fk_shift_required_skills_shift REFERENCES shifts (id) ON DELETE CASCADE,
        skill text NOT NULL CONSTRAINT fk_shift_required_skills_skill REFERENCES skills (code),
        min_level smallint NOT NULL CONSTRAINT ck_shift_required_skills_level CHECK (min_level BETWEEN 1 AND 5),
        CONSTRAINT pk_shift_required_skills PRIMARY KEY (shift_id, skill)
      )`);

    await q.query(`
      CREATE TABLE shift_claims (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        shift_id uuid NOT NULL CONSTRAINT fk_shift_claims_shift REFERENCES shifts (id),
        agent_id uuid NOT NULL CONSTRAINT fk_shift_claims_agent REFERENCES agents (user_id),
        company_id uuid NOT NULL CONSTRAINT fk_shift_claims_company REFERENCES companies (id),
        period tstzrange NOT NULL,
        status text NOT NULL DEFAULT 'claimed',
        source text NOT NULL DEFAULT 'direct' CONSTRAINT ck_shift_claims_source CHECK (source IN ('direct', 'waitlist')),
        check_in_deadline timestamptz NOT NULL,
        claimed_at timestamptz NOT NULL DEFAULT now(),
        checked_in_at timestamptz,
        checked_out_at timestamptz,
        completed_at timestamptz,
        cancelled_at timestamptz,
        cancelled_by text CONSTRAINT ck_shift_claims_cancelled_by CHECK (cancelled_by IN ('agent', 'company')),
        late_cancellation boolean NOT NULL DEFAULT false,
        no_show_at timestamptz,
        CONSTRAINT ck_shift_claims_status CHECK (
          (status = 'claimed')
          OR (status = 'checked_in' AND checked_in_at IS NOT NULL)
          OR (status = 'completed' AND completed_at IS NOT NULL)
          OR (status = 'cancelled' AND cancelled_at IS NOT NULL AND cancelled_by IS NOT NULL)
          OR (status = 'no_show' AND no_show_at IS NOT NULL)),
        -- an agent never holds two overlapping seats: enforced here, not in code
        CONSTRAINT ex_shift_claims_agent_overlap EXCLUDE USING gist (agent_id WITH =, period WITH &&)
          WHERE (status IN ('claimed', 'checked_in'))
      )`);
    await q.query(`CREATE INDEX ix_shift_claims_shift ON shift_claims (shift_id, status)`);
    await q.query(`CREATE INDEX ix_shift_claims_agent ON shift_claims (agent_id, claimed_at DESC)`);
    // The live-shift lookup that ticket matching will use: who is checked in for a company.
    await q.query(`
      CREATE INDEX ix_shift_claims_checked_in ON shift_claims (company_id, agent_id)
      WHERE status = 'checked_in'`);

    // The transition table, enforced by the database as well as by the code.
    await q.query(`
      CREATE FUNCTION shift_claims_transition() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
             (OLD.status = 'claimed' AND NEW.status IN ('checked_in', 'cancelled', 'no_show'))
          OR (OLD.status = 'checked_in' AND NEW.status IN ('completed', 'cancelled'))
        ) THEN
          RAISE EXCEPTION 'shift claim cannot go from % to %', OLD.status, NEW.status
            USING ERRCODE = '23514', CONSTRAINT = 'ck_shift_claims_transition';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER trg_shift_claims_transition BEFORE UPDATE OF status ON shift_claims
      FOR EACH ROW EXECUTE FUNCTION shift_claims_transition()`);
    await q.query(`
      CREATE FUNCTION shifts_transition() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status IS DISTINCT FROM OLD.status AND OLD.status <> 'scheduled' THEN
          RAISE EXCEPTION 'shift cannot go from % to %', OLD.status, NEW.status
            USING ERRCODE = '23514', CONSTRAINT = 'ck_shifts_transition';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER trg_shifts_transition BEFORE UPDATE OF status ON shifts
      FOR EACH ROW EXECUTE FUNCTION shifts_transition()`);

    await q.query(`
      CREATE TABLE shift_waitlist (
        shift_id uuid NOT NULL CONSTRAINT fk_shift_waitlist_shift REFERENCES shifts (id) ON DELETE CASCADE,
        agent_id uuid NOT NULL CONSTRAINT fk_shift_waitlist_agent REFERENCES agents (user_id) ON DELETE CASCADE,
        joined_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT pk_shift_waitlist PRIMARY KEY (shift_id, agent_id)
      )`);
    await q.query(`CREATE INDEX ix_shift_waitlist_order ON shift_waitlist (shift_id, joined_at)`);
    await q.query(`CREATE INDEX ix_shift_waitlist_agent ON shift_waitlist (agent_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE shift_waitlist`);
    await q.query(`DROP TABLE shift_claims`);
    await q.query(`DROP FUNCTION shift_claims_transition()`);
    await q.query(`DROP TABLE shift_required_skills`);
    await q.query(`DROP TABLE shifts`);
    await q.query(`DROP FUNCTION shifts_transition()`);
    await q.query(`DROP TABLE certifications`);
    await q.query(`DROP TABLE agent_skills`);
    await q.query(`DROP TABLE agents`);
    await q.query(`DROP TABLE skills`);
  }
}
