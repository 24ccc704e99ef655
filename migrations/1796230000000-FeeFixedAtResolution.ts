import { MigrationInterface, QueryRunner } from 'typeorm';
import { ResolveInOneCall1796060000000 } from './1796060000000-ResolveInOneCall';

/**
 * The platform fee is fixed on the claim when it is resolved (`ticket_claims.fee_bps`), as its
 * pay is: the ledger books the fee in force then, not the one configured when its job happens
 * to run (a PLATFORM_FEE_BPS change charged the resolutions still queued the new fee). Claims
 * resolved before this have none; the ledger books those at the configured fee, as before.
 *
 * resolve_ticket takes the fee as a last parameter: same text as ResolveInOneCall but for it.
 * The six-parameter form stays, passing no fee, so a process of the previous release still
 * resolves during a rolling deploy; a later release may drop it.
 */
export class FeeFixedAtResolution1796230000000 implements MigrationInterface {
  name = 'FeeFixedAtResolution1796230000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE ticket_claims ADD COLUMN fee_bps int
        CONSTRAINT ck_ticket_claims_fee_bps CHECK (fee_bps BETWEEN 0 AND 10000)`);
    await q.query(`
      CREATE FUNCTION resolve_ticket(p_ticket uuid, p_agent uuid, p_summary text,
                                     p_handoff_complete boolean, p_handoff_missing text[],
                                     p_request_id text, p_fee_bps int,
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
               fee_bps = p_fee_bps, handoff_complete = p_handoff_complete,
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
    await q.query('DROP FUNCTION resolve_ticket(uuid, uuid, text, boolean, text[], text)');
    await q.query(`
      CREATE FUNCTION resolve_ticket(p_ticket uuid, p_agent uuid, p_summary text,
                                     p_handoff_complete boolean, p_handoff_missing text[],
                                     p_request_id text,
                                     OUT outcome text, OUT ticket jsonb, OUT claims jsonb,
                                     OUT standing jsonb)
      LANGUAGE sql VOLATILE AS $$
        SELECT * FROM resolve_ticket(p_ticket, p_agent, p_summary, p_handoff_complete,
                                     p_handoff_missing, p_request_id, NULL)
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP FUNCTION resolve_ticket(uuid, uuid, text, boolean, text[], text)');
    await q.query('DROP FUNCTION resolve_ticket(uuid, uuid, text, boolean, text[], text, int)');
    await new ResolveInOneCall1796060000000().up(q);
    await q.query('ALTER TABLE ticket_claims DROP COLUMN fee_bps');
  }
}
