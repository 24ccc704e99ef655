import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One claim write (issue 12). The ticket claim and its `ticket.claimed` event were written twice:
 * in claim_next_ticket (PL/pgSQL) and by the claim-by-id path (TypeScript). write_ticket_claim
 * is now the only text of it: the ticket marked claimed, its ticket_claims row, the
 * `ticket.claimed` event and the handle-timeout timer (two outbox rows), and the answer (the
 * ticket, its claim history, the claim id). claim_next_ticket calls it after its SKIP LOCKED
 * pick; the by-id path calls it after locking the agent and the ticket and checking them.
 * The caller holds both locks and has checked the ticket is open and the agent may take it.
 */
export class OneClaimWrite1795840000000 implements MigrationInterface {
  name = 'OneClaimWrite1795840000000';

  async up(q: QueryRunner): Promise<void> {
    // The event payload is TicketEvent (src/modules/jobs/job-registry.ts);
    // test/claim-write.e2e-spec.ts checks both paths against it.
    await q.query(`
      CREATE OR REPLACE FUNCTION write_ticket_claim(p_ticket uuid, p_agent uuid, p_shift uuid,
                                                    p_handle_timeout interval, OUT ticket jsonb,
                                                    OUT claims jsonb, OUT claim_id uuid)
      LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        t tickets;
        new_claim ticket_claims;
      BEGIN
        UPDATE tickets SET status = 'claimed', claimed_by = p_agent, claimed_at = now(),
               last_activity_at = now(), updated_at = now()
         WHERE id = p_ticket RETURNING * INTO t;
        -- uq_ticket_claims_active backs the row lock: one active claim per ticket, always.
        INSERT INTO ticket_claims (ticket_id, agent_id, company_id, shift_id)
        VALUES (t.id, p_agent, t.company_id, p_shift) RETURNING * INTO new_claim;
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
      END
      $$`);

    // VOLATILE on purpose: under READ COMMITTED each statement inside takes a fresh snapshot,
    // so the load counted after the agent lock sees claims committed while we waited for it.
    await q.query(`
      CREATE OR REPLACE FUNCTION claim_next_ticket(p_agent uuid, p_handle_timeout interval,
                                                   p_rounds int[])
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
            -- An assignment, not a SELECT … FROM: PL/pgSQL evaluates it as a simple expression.
            w := write_ticket_claim(picked, p_agent, c.shift_id, p_handle_timeout);
            ticket := w.ticket;
            claims := w.claims;
            claim_id := w.claim_id;
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
    // claim_next_ticket as migration ClaimInOneCall wrote it, with the claim write inline.
    await q.query(`
      CREATE OR REPLACE FUNCTION claim_next_ticket(p_agent uuid, p_handle_timeout interval, p_rounds int[])
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
    await q.query(`DROP FUNCTION write_ticket_claim(uuid, uuid, uuid, interval)`);
  }
}
