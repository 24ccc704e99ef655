import { MigrationInterface, QueryRunner } from 'typeorm';

/** agent_context with or without the columns push routing reads (routing, availability). */
function agentContext(withOffers: boolean): string {
  const cols = withOffers ? `, routing text, offer_seconds int, availability text` : '';
  const sel = withOffers ? `, live.routing, live.offer_seconds, live.availability` : '';
  const inner = withOffers ? `, s.routing, s.offer_seconds, c.availability` : '';
  return `
    CREATE FUNCTION agent_context(p_agent uuid)
    RETURNS TABLE (suspended boolean, languages text[], max_concurrent_tickets int,
                   skill_codes text[], skill_levels int[], active int, shift_id uuid,
                   company_id uuid, company_name text, ends_at timestamptz,
                   requires_certification boolean, rate_amount_minor bigint,
                   rate_currency text, certified boolean${cols})
    LANGUAGE sql STABLE AS $$
      SELECT a.suspended_at IS NOT NULL, a.languages, a.max_concurrent_tickets,
             coalesce(sk.codes, '{}'), coalesce(sk.levels, '{}'),
             (SELECT count(*)::int FROM ticket_claims tc
               WHERE tc.agent_id = a.user_id AND tc.status = 'active'),
             live.shift_id, live.company_id, live.company_name, live.ends_at,
             live.requires_certification, live.rate_amount_minor, live.rate_currency,
             live.certified${sel}
        FROM agents a
        LEFT JOIN LATERAL (
          SELECT array_agg(skill ORDER BY skill) AS codes,
                 array_agg(level::int ORDER BY skill) AS levels
            FROM agent_skills WHERE agent_id = a.user_id) sk ON true
        LEFT JOIN LATERAL (
          SELECT s.id AS shift_id, s.company_id, co.name AS company_name, s.ends_at,
                 s.requires_certification, s.rate_amount_minor, s.rate_currency::text,
                 EXISTS (SELECT 1 FROM certifications ce
                          WHERE ce.company_id = s.company_id AND ce.agent_id = c.agent_id) AS certified${inner}
            FROM shift_claims c
            JOIN shifts s ON s.id = c.shift_id
            JOIN companies co ON co.id = s.company_id
           WHERE c.agent_id = a.user_id AND c.status = 'checked_in' AND s.status = 'scheduled'
             AND s.starts_at <= now() AND s.ends_at > now()
           LIMIT 1) live ON true
       WHERE a.user_id = p_agent
    $$`;
}

/** claim_next_ticket (ClaimRequestId's text); on a push shift it claims nothing (offers do). */
function claimNext(withOffers: boolean): string {
  const push = withOffers ? ` OR c.routing = 'push'` : '';
  return `
    CREATE OR REPLACE FUNCTION claim_next_ticket(p_agent uuid, p_handle_timeout interval,
                                                 p_rounds int[], p_request_id text)
    RETURNS TABLE (ctx jsonb, ticket jsonb, claims jsonb, claim_id uuid)
    LANGUAGE plpgsql VOLATILE AS $$
    DECLARE
      c record;
      lim int;
      ids uuid[];
      picked uuid;
      w record;
    BEGIN
      -- NO KEY UPDATE: one agent's claims queue up; rows referencing the agent still insert.
      PERFORM 1 FROM agents WHERE user_id = p_agent FOR NO KEY UPDATE;
      IF NOT FOUND THEN RETURN; END IF;
      SELECT * INTO c FROM agent_context(p_agent);
      ctx := to_jsonb(c);
      IF c.suspended OR c.shift_id IS NULL OR (c.requires_certification AND NOT c.certified)
         OR c.active >= c.max_concurrent_tickets${push} THEN
        RETURN NEXT;
        RETURN;
      END IF;
      FOREACH lim IN ARRAY p_rounds LOOP
        ids := ARRAY(SELECT id FROM ticket_candidates(c.company_id, p_agent, c.languages,
                                                      c.skill_codes, c.skill_levels, lim) id);
        EXIT WHEN cardinality(ids) = 0;
        SELECT tk.id INTO picked FROM tickets tk
         WHERE tk.id = ANY (ids) AND tk.status = 'open'
         ORDER BY tk.rank DESC, tk.sla_deadline, tk.created_at
         LIMIT 1 FOR UPDATE SKIP LOCKED;
        IF picked IS NOT NULL THEN
          w := write_ticket_claim(picked, p_agent, c.shift_id, p_handle_timeout, p_request_id);
          ticket := w.ticket;
          claims := w.claims;
          claim_id := w.claim_id;
          RETURN NEXT;
          RETURN;
        END IF;
        EXIT WHEN cardinality(ids) < lim;
      END LOOP;
      RETURN NEXT;
    END
    $$`;
}

/**
 * Push routing (issue 15, section 3). Per shift: `routing` (pull stays the default), the offer
 * reservation `offer_seconds` and an optional away cap per seat. Per seat (shift_claims): the
 * agent's availability with its time-away account. `offers`: one row per offer of a ticket to an
 * agent; one pending offer per ticket (uq_offers_pending_ticket). agent_context gains the live
 * shift's routing and the seat's availability; claim_next_ticket claims nothing on a push shift.
 *
 * offers_route_request: a trigger that asks the router (job `offers.route`, after commit) to run
 * for a company with a live push shift whenever a ticket becomes open or has its skills relaxed,
 * a claim ends, or a seat checks in or becomes available. A trigger catches every writer (intake,
 * release, transfer, reopen, SLA relax, resolve, withdraw, timers) in its own transaction.
 */
export class Offers1795930000000 implements MigrationInterface {
  name = 'Offers1795930000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE shifts
        ADD COLUMN routing text NOT NULL DEFAULT 'pull'
          CONSTRAINT ck_shifts_routing CHECK (routing IN ('pull', 'push')),
        ADD COLUMN offer_seconds int NOT NULL DEFAULT 30
          CONSTRAINT ck_shifts_offer_seconds CHECK (offer_seconds BETWEEN 10 AND 120),
        ADD COLUMN max_away_minutes int
          CONSTRAINT ck_shifts_max_away_minutes CHECK (max_away_minutes BETWEEN 0 AND 720)`);
    await q.query(`
      ALTER TABLE shift_claims
        ADD COLUMN availability text NOT NULL DEFAULT 'available'
          CONSTRAINT ck_shift_claims_availability CHECK (availability IN ('available', 'away')),
        ADD COLUMN availability_changed_at timestamptz,
        ADD COLUMN away_seconds int NOT NULL DEFAULT 0,
        ADD COLUMN away_reason text`);
    await q.query(`
      CREATE TABLE offers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        ticket_id uuid NOT NULL CONSTRAINT fk_offers_ticket REFERENCES tickets (id),
        agent_id uuid NOT NULL CONSTRAINT fk_offers_agent REFERENCES agents (user_id),
        company_id uuid NOT NULL CONSTRAINT fk_offers_company REFERENCES companies (id),
        shift_id uuid NOT NULL CONSTRAINT fk_offers_shift REFERENCES shifts (id),
        status text NOT NULL DEFAULT 'pending' CONSTRAINT ck_offers_status
          CHECK (status IN ('pending', 'accepted', 'declined', 'expired', 'withdrawn')),
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        decided_at timestamptz,
        decline_reason text,
        claim_id uuid CONSTRAINT fk_offers_claim REFERENCES ticket_claims (id),
        CONSTRAINT ck_offers_decided CHECK ((status = 'pending') = (decided_at IS NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_offers_pending_ticket ON offers (ticket_id)
                   WHERE status = 'pending'`);
    await q.query(`CREATE INDEX ix_offers_agent_created ON offers (agent_id, created_at DESC)`);
    await q.query(`CREATE INDEX ix_offers_ticket_agent ON offers (ticket_id, agent_id)`);
    await q.query(`CREATE INDEX ix_shifts_live_push ON shifts (company_id, starts_at)
                   WHERE routing = 'push' AND status = 'scheduled'`);

    await q.query(`DROP FUNCTION agent_context(uuid)`);
    await q.query(agentContext(true));
    await q.query(claimNext(true));

    await q.query(`
      CREATE FUNCTION offers_route_request() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        company uuid;
      BEGIN
        IF TG_TABLE_NAME = 'tickets' THEN
          IF NEW.status <> 'open' OR (TG_OP = 'UPDATE' AND OLD.status = 'open'
               AND OLD.skill_levels IS NOT DISTINCT FROM NEW.skill_levels
               AND OLD.skill_codes IS NOT DISTINCT FROM NEW.skill_codes) THEN
            RETURN NULL;
          END IF;
        ELSIF TG_TABLE_NAME = 'ticket_claims' THEN
          IF NOT (OLD.status = 'active' AND NEW.status <> 'active') THEN RETURN NULL; END IF;
        ELSIF NOT ((NEW.status = 'checked_in' AND OLD.status <> 'checked_in')
                   OR (NEW.status = 'checked_in' AND NEW.availability = 'available'
                       AND OLD.availability = 'away')) THEN
          RETURN NULL;
        END IF;
        company := NEW.company_id;
        IF EXISTS (SELECT 1 FROM shifts s WHERE s.company_id = company AND s.routing = 'push'
                      AND s.status = 'scheduled' AND s.starts_at <= now() AND s.ends_at > now()) THEN
          INSERT INTO outbox (job_name, payload, run_at)
          VALUES ('offers.route', jsonb_build_object('companyId', company), now());
        END IF;
        RETURN NULL;
      END
      $$`);
    await q.query(`CREATE TRIGGER tr_tickets_offers_route AFTER INSERT OR UPDATE ON tickets
                   FOR EACH ROW EXECUTE FUNCTION offers_route_request()`);
    await q.query(`CREATE TRIGGER tr_ticket_claims_offers_route AFTER UPDATE ON ticket_claims
                   FOR EACH ROW EXECUTE FUNCTION offers_route_request()`);
    await q.query(`CREATE TRIGGER tr_shift_claims_offers_route AFTER UPDATE ON shift_claims
                   FOR EACH ROW EXECUTE FUNCTION offers_route_request()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER tr_shift_claims_offers_route ON shift_claims`);
    await q.query(`DROP TRIGGER tr_ticket_claims_offers_route ON ticket_claims`);
    await q.query(`DROP TRIGGER tr_tickets_offers_route ON tickets`);
    await q.query(`DROP FUNCTION offers_route_request()`);
    await q.query(claimNext(false));
    await q.query(`DROP FUNCTION agent_context(uuid)`);
    await q.query(agentContext(false));
    await q.query(`DROP INDEX ix_shifts_live_push`);
    await q.query(`DROP TABLE offers`);
    await q.query(`ALTER TABLE shift_claims DROP COLUMN availability,
                   DROP COLUMN availability_changed_at, DROP COLUMN away_seconds,
                   DROP COLUMN away_reason`);
    await q.query(`ALTER TABLE shifts DROP COLUMN routing, DROP COLUMN offer_seconds,
                   DROP COLUMN max_away_minutes`);
  }
}
