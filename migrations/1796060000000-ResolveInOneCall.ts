import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Resolve in one database call (issue 20, ADR 0008's amendment). The resolve was a TypeScript
 * transaction of about a dozen round trips (BEGIN, ticket lock, suspension, active claim, rate,
 * two updates, the events, COMMIT, then the ticket and its history read again); under load each
 * waited on a busy event loop while the ticket's row lock was held, and its p99 was twice
 * claim-next's. resolve_ticket does it all in one statement, in autocommit:
 *
 * - locks the ticket (FOR UPDATE); 'not_found' when there is none;
 * - 'suspended' when the agent is suspended (its tickets were released; the API says why);
 * - when the agent holds the active claim: fixes the pay (the shift's rate plus the surge extra
 *   fixed at the claim), marks the claim and the ticket resolved, writes the `ticket.resolved`
 *   event and its ledger job (outbox rows; the events trigger copies the event), and answers
 *   'resolved' with the ticket and its claim history;
 * - otherwise 'not_holder', with the ticket, its history and the standing resolution (the last
 *   resolved claim not reopened) read under the lock, so the service tells a retried resolve
 *   (same agent, same summary: the same answer, nothing written) from a conflict.
 *
 * The event payload is TicketEvent<'ticket.resolved'> (src/modules/jobs/job-registry.ts);
 * test/claim-write.e2e-spec.ts checks its shape and values.
 */
export class ResolveInOneCall1796060000000 implements MigrationInterface {
  name = 'ResolveInOneCall1796060000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION resolve_ticket(p_ticket uuid, p_agent uuid, p_summary text,
                                     p_handoff_complete boolean, p_handoff_missing text[],
                                     p_request_id text,
                                     OUT outcome text, OUT ticket jsonb, OUT claims jsonb,
                                     OUT standing jsonb)
      LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        t tickets;
        c record;
        amount bigint;
        ev jsonb;
      BEGIN
        SELECT * INTO t FROM tickets WHERE id = p_ticket FOR UPDATE;
        IF NOT FOUND THEN
          outcome := 'not_found';
          RETURN;
        END IF;
        IF EXISTS (SELECT 1 FROM agents WHERE user_id = p_agent AND suspended_at IS NOT NULL) THEN
          outcome := 'suspended';
          RETURN;
        END IF;
        SELECT tc.id, tc.agent_id, tc.surge_extra_minor, s.rate_amount_minor, s.rate_currency
          INTO c
          FROM ticket_claims tc JOIN shifts s ON s.id = tc.shift_id
         WHERE tc.ticket_id = p_ticket AND tc.status = 'active';
        IF NOT FOUND OR c.agent_id <> p_agent THEN
          outcome := 'not_holder';
          ticket := to_jsonb(t);
          claims := ticket_claim_history(t.id);
          SELECT jsonb_build_object('agentId', r.agent_id, 'resolutionSummary',
                                    r.resolution_summary, 'resolvedAt', r.resolved_at)
            INTO standing
            FROM ticket_claims r
           WHERE r.ticket_id = p_ticket AND r.status = 'resolved' AND r.reopened_at IS NULL
           ORDER BY r.resolved_at DESC LIMIT 1;
          RETURN;
        END IF;
        amount := c.rate_amount_minor + c.surge_extra_minor;
        UPDATE ticket_claims
           SET status = 'resolved', resolved_at = now(), resolution_summary = p_summary,
               rate_amount_minor = amount, rate_currency = c.rate_currency,
               handoff_complete = p_handoff_complete,
               handoff_missing = coalesce(p_handoff_missing, '{}')
         WHERE id = c.id;
        UPDATE tickets SET status = 'resolved', claimed_by = NULL, resolved_at = now(),
               updated_at = now()
         WHERE id = p_ticket RETURNING * INTO t;
        ev := jsonb_build_object(
          'eventId', gen_random_uuid(), 'ticketId', t.id, 'companyId', t.company_id,
          'externalId', t.external_id, 'agentId', p_agent, 'claimId', c.id,
          'occurredAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'data', jsonb_build_object('resolutionSummary', p_summary, 'pay',
                                    jsonb_build_object('amountMinor', amount,
                                                       'currency', c.rate_currency)));
        -- Money moves on a resolution: the ledger books it from its own job, once per event.
        INSERT INTO outbox (job_name, payload, run_at, request_id) VALUES
          ('ticket.resolved', ev, now(), p_request_id),
          ('ledger.ticket-event', jsonb_build_object('type', 'ticket.resolved', 'event', ev),
           now(), p_request_id);
        outcome := 'resolved';
        ticket := to_jsonb(t);
        claims := ticket_claim_history(t.id);
      END
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP FUNCTION resolve_ticket(uuid, uuid, text, boolean, text[], text)');
  }
}
