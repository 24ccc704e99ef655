import { MigrationInterface, QueryRunner } from 'typeorm';
import { OneClaimWrite1795840000000 } from './1795840000000-OneClaimWrite';

/**
 * The claim write carries the X-Request-Id of the request that made it (issue 14): the
 * `ticket.claimed` event and the handle-timeout timer it writes record it in outbox.request_id,
 * as every other outbox row does (OutboxRequestId), so the claim's webhook and its timer's logs
 * carry the agent's request id. Same text as OneClaimWrite but for the new last parameter
 * (null when no request started the claim). A new parameter makes a new function, so the old
 * ones are dropped first: nothing else calls them (TicketMatchingRepository is the only caller).
 */
export class ClaimRequestId1795900000000 implements MigrationInterface {
  name = 'ClaimRequestId1795900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION claim_next_ticket(uuid, interval, int[])`);
    await q.query(`DROP FUNCTION write_ticket_claim(uuid, uuid, uuid, interval)`);
    await q.query(`
      CREATE FUNCTION write_ticket_claim(p_ticket uuid, p_agent uuid, p_shift uuid,
                                         p_handle_timeout interval, p_request_id text,
                                         OUT ticket jsonb,
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
        INSERT INTO outbox (job_name, payload, run_at, request_id) VALUES
          ('ticket.claimed', jsonb_build_object(
             'eventId', gen_random_uuid(), 'ticketId', t.id, 'companyId', t.company_id,
             'externalId', t.external_id, 'agentId', p_agent, 'claimId', new_claim.id,
             'occurredAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
             'data', '{}'::jsonb), now(), p_request_id),
          ('ticket.handle-timeout', jsonb_build_object('claimId', new_claim.id),
           new_claim.claimed_at + p_handle_timeout, p_request_id);
        ticket := to_jsonb(t);
        claims := ticket_claim_history(t.id);
        claim_id := new_claim.id;
      END
      $$`);

    await q.query(`
      CREATE FUNCTION claim_next_ticket(p_agent uuid, p_handle_timeout interval, p_rounds int[],
                                        p_request_id text)
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
            w := write_ticket_claim(picked, p_agent, c.shift_id, p_handle_timeout, p_request_id);
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
    await q.query(`DROP FUNCTION claim_next_ticket(uuid, interval, int[], text)`);
    await q.query(`DROP FUNCTION write_ticket_claim(uuid, uuid, uuid, interval, text)`);
    await new OneClaimWrite1795840000000().up(q);
  }
}
