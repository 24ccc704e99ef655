import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Claim-next in one database call (ADR 0008). The claim used to be nine round trips in one
 * transaction; under a claim storm the connection sat idle between them while the API's event
 * loop was busy, and each statement was parsed and planned again. The rules move into three
 * functions that the TypeScript code also uses, so each rule has one text:
 * - agent_context: what matching needs to know about an agent (skills, live shift, load);
 * - ticket_candidates: the eligible open tickets of a company for an agent, best first
 *   (LANGUAGE sql and STABLE so the planner inlines it: EXPLAIN still shows the index walks);
 * - ticket_claim_history: a ticket's claims as the API shows them;
 * and claim_next_ticket, which locks the agent, checks it, claims the best unlocked candidate
 * and writes the two outbox rows, all in the caller's transaction (one statement: autocommit).
 */
export class ClaimInOneCall1795670000000 implements MigrationInterface {
  name = 'ClaimInOneCall1795670000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION agent_context(p_agent uuid)
      RETURNS TABLE (suspended boolean, languages text[], max_concurrent_tickets int,
                     skill_codes text[], skill_levels int[], active int, shift_id uuid,
                     company_id uuid, company_name text, ends_at timestamptz,
                     requires_certification boolean, rate_amount_minor bigint,
                     rate_currency text, certified boolean)
      LANGUAGE sql STABLE AS $$
        SELECT a.suspended_at IS NOT NULL, a.languages, a.max_concurrent_tickets,
               coalesce(sk.codes, '{}'), coalesce(sk.levels, '{}'),
               (SELECT count(*)::int FROM ticket_claims tc
                 WHERE tc.agent_id = a.user_id AND tc.status = 'active'),
               live.shift_id, live.company_id, live.company_name, live.ends_at,
               live.requires_certification, live.rate_amount_minor, live.rate_currency,
               live.certified
          FROM agents a
          LEFT JOIN LATERAL (
            SELECT array_agg(skill ORDER BY skill) AS codes,
                   array_agg(level::int ORDER BY skill) AS levels
              FROM agent_skills WHERE agent_id = a.user_id) sk ON true
          LEFT JOIN LATERAL (
            SELECT s.id AS shift_id, s.company_id, co.name AS company_name, s.ends_at,
                   s.requires_certification, s.rate_amount_minor, s.rate_currency::text,
                   EXISTS (SELECT 1 FROM certifications ce
                            WHERE ce.company_id = s.company_id AND ce.agent_id = c.agent_id) AS certified
              FROM shift_claims c
              JOIN shifts s ON s.id = c.shift_id
              JOIN companies co ON co.id = s.company_id
             WHERE c.agent_id = a.user_id AND c.status = 'checked_in' AND s.status = 'scheduled'
               AND s.starts_at <= now() AND s.ends_at > now()
             LIMIT 1) live ON true
         WHERE a.user_id = p_agent
      $$`);

    // One index walk of ix_tickets_open_match per (language, primary skill) bucket, each
    // stopping after p_limit rows, merged. '' is the bucket of tickets with no required skill.
    await q.query(`
      CREATE FUNCTION ticket_candidates(p_company uuid, p_agent uuid, p_languages text[],
                                        p_skills text[], p_levels int[], p_limit int)
      RETURNS SETOF uuid
      LANGUAGE sql STABLE AS $$
        SELECT t.id FROM unnest(p_languages) AS l(language)
         CROSS JOIN unnest(p_skills || ''::text) AS b(skill)
         CROSS JOIN LATERAL (
           SELECT t.id, t.rank, t.sla_deadline, t.created_at FROM tickets t
            WHERE t.status = 'open' AND t.company_id = p_company
              AND t.language = l.language AND t.primary_skill = b.skill
              AND NOT EXISTS (
                    SELECT 1 FROM unnest(t.skill_codes, t.skill_levels) AS r(skill, level)
                      LEFT JOIN unnest(p_skills, p_levels) AS k(skill, level) ON k.skill = r.skill
                     WHERE k.level IS NULL OR k.level < r.level)
              AND NOT EXISTS (
                    SELECT 1 FROM ticket_cooldowns d
                     WHERE d.ticket_id = t.id AND d.agent_id = p_agent AND d.until > now())
            ORDER BY t.rank DESC, t.sla_deadline, t.created_at
            LIMIT p_limit) t
         ORDER BY t.rank DESC, t.sla_deadline, t.created_at
         LIMIT p_limit
      $$`);

    await q.query(`
      CREATE FUNCTION ticket_claim_history(p_ticket uuid) RETURNS jsonb
      LANGUAGE sql STABLE AS $$
        SELECT coalesce(jsonb_agg(jsonb_build_object(
                 'claimId', c.id, 'agentId', c.agent_id, 'displayName', a.display_name,
                 'status', c.status, 'claimedAt', c.claimed_at, 'releasedAt', c.released_at,
                 'releasedBy', c.released_by, 'releaseReason', c.release_reason,
                 'resolvedAt', c.resolved_at, 'resolutionSummary', c.resolution_summary,
                 'amount', c.rate_amount_minor, 'currency', c.rate_currency,
                 'reopenedAt', c.reopened_at) ORDER BY c.claimed_at, c.id), '[]')
          FROM ticket_claims c JOIN agents a ON a.user_id = c.agent_id
         WHERE c.ticket_id = p_ticket
      $$`);

    // VOLATILE on purpose: under READ COMMITTED each statement inside takes a fresh snapshot,
    // so the load counted after the agent lock sees claims committed while we waited for it.
    await q.query(`
      CREATE FUNCTION claim_next_ticket(p_agent uuid, p_handle_timeout interval, p_rounds int[])
      RETURNS TABLE (ctx jsonb, ticket jsonb, claims jsonb, claim_id uuid)
      LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        c record;
        lim int;
        ids uuid[];
        picked uuid;
        t tickets;
        new_claim ticket_claims;
      BEGIN
        -- NO KEY UPDATE: one agent's claims queue up; rows referencing the agent still insert.
        PERFORM 1 FROM agents WHERE user_id = p_agent FOR NO KEY UPDATE;
        IF NOT FOUND THEN RETURN; END IF;
        SELECT * INTO c FROM agent_context(p_agent);
        ctx := to_jsonb(c);
        IF c.suspended OR c.shift_id IS NULL OR (c.requires_certification AND NOT c.certified)
           OR c.active >= c.max_concurrent_tickets THEN
          RETURN NEXT;
          RETURN;
        END IF;
        -- Under a storm the best few are often locked by other agents: look further each round.
        FOREACH lim IN ARRAY p_rounds LOOP
          -- In FROM, so the planner inlines the SQL function into one plan.
          ids := ARRAY(SELECT id FROM ticket_candidates(c.company_id, p_agent, c.languages,
                                                        c.skill_codes, c.skill_levels, lim) id);
          EXIT WHEN cardinality(ids) = 0;
          SELECT tk.id INTO picked FROM tickets tk
           WHERE tk.id = ANY (ids) AND tk.status = 'open'
           ORDER BY tk.rank DESC, tk.sla_deadline, tk.created_at
           LIMIT 1 FOR UPDATE SKIP LOCKED;
          IF picked IS NOT NULL THEN
            UPDATE tickets SET status = 'claimed', claimed_by = p_agent, claimed_at = now(),
                   last_activity_at = now(), updated_at = now()
             WHERE id = picked RETURNING * INTO t;
            -- uq_ticket_claims_active backs the row lock: one active claim per ticket, always.
            INSERT INTO ticket_claims (ticket_id, agent_id, company_id, shift_id)
            VALUES (t.id, p_agent, t.company_id, c.shift_id) RETURNING * INTO new_claim;
            INSERT INTO outbox (job_name, payload, run_at) VALUES
              ('ticket.claimed', jsonb_build_object(
                 'eventId', gen_random_uuid(), 'ticketId', t.id, 'companyId', t.company_id,
                 'externalId', t.external_id, 'agentId', p_agent, 'claimId', new_claim.id,
                 'occurredAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                 'data', '{}'::jsonb), now()),
              ('ticket.handle-timeout', jsonb_build_object('claimId', new_claim.id),
               new_claim.claimed_at + p_handle_timeout);
            ticket := to_jsonb(t);
            claims := ticket_claim_history(t.id);
            claim_id := new_claim.id;
            RETURN NEXT;
            RETURN;
          END IF;
          -- Every candidate was taken or locked: look further down, unless there is no more.
          EXIT WHEN cardinality(ids) < lim;
        END LOOP;
        RETURN NEXT;
      END
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION claim_next_ticket(uuid, interval, int[])`);
    await q.query(`DROP FUNCTION ticket_claim_history(uuid)`);
    await q.query(`DROP FUNCTION ticket_candidates(uuid, uuid, text[], text[], int[], int)`);
    await q.query(`DROP FUNCTION agent_context(uuid)`);
  }
}
