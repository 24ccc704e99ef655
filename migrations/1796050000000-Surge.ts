import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Surge pay (issue 19). A shift may set surge: while the company's open tickets per agent
 * checked in on the shift pass `surge_open_tickets_per_agent`, a new claim pays the rate × a
 * multiplier rising linearly from 1 at the threshold to `surge_max_multiplier_bps` at twice it.
 * The extra is fixed on the claim (and on an offer, which its accept keeps) by surge_quote, and
 * added to the claim's pay at resolve, so the ledger and the invoice follow. The extras of the
 * claims still standing to be paid (active, or resolved and not reopened) and of the pending
 * offers never pass `surge_budget_minor`: surge_quote counts them under an advisory lock per
 * shift, taken only by surge shifts' claims, so other claims never wait on it.
 *
 * write_ticket_claim gets two parameters with defaults (a quote already made: the offer's), so
 * claim_next_ticket's call, which passes neither, is unchanged.
 */
export class Surge1796050000000 implements MigrationInterface {
  name = 'Surge1796050000000';

  /** write_ticket_claim's text, for later migrations (ClaimNextKeyed). */
  static readonly writeTicketClaim = writeTicketClaim;

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE shifts
        ADD COLUMN surge_max_multiplier_bps int,
        ADD COLUMN surge_open_tickets_per_agent int,
        ADD COLUMN surge_budget_minor bigint,
        ADD CONSTRAINT ck_shifts_surge CHECK (
          (surge_max_multiplier_bps IS NULL AND surge_open_tickets_per_agent IS NULL
           AND surge_budget_minor IS NULL)
          OR (surge_max_multiplier_bps BETWEEN 10001 AND 30000
              AND surge_open_tickets_per_agent BETWEEN 1 AND 1000 AND surge_budget_minor > 0))`);
    for (const table of ['ticket_claims', 'offers']) {
      await q.query(`
        ALTER TABLE ${table}
          ADD COLUMN surge_multiplier_bps int NOT NULL DEFAULT 10000,
          ADD COLUMN surge_extra_minor bigint NOT NULL DEFAULT 0,
          ADD CONSTRAINT ck_${table}_surge
            CHECK (surge_multiplier_bps >= 10000 AND surge_extra_minor >= 0)`);
    }
    // Only surge claims and offers: what surge_quote sums per shift.
    await q.query(`CREATE INDEX ix_ticket_claims_shift_surge ON ticket_claims (shift_id)
                    WHERE surge_extra_minor > 0`);
    await q.query(`CREATE INDEX ix_offers_shift_surge ON offers (shift_id)
                    WHERE status = 'pending' AND surge_extra_minor > 0`);

    await q.query(`
      CREATE FUNCTION surge_committed(p_shift uuid) RETURNS bigint
      LANGUAGE sql STABLE AS $$
        SELECT coalesce((SELECT sum(surge_extra_minor) FROM ticket_claims
                          WHERE shift_id = p_shift AND surge_extra_minor > 0
                            AND (status = 'active' OR (status = 'resolved' AND reopened_at IS NULL))), 0)
             + coalesce((SELECT sum(surge_extra_minor) FROM offers
                          WHERE shift_id = p_shift AND status = 'pending' AND surge_extra_minor > 0
                            AND expires_at > now()), 0)
      $$`);

    // The shift's surge lock, to the end of the transaction: claims and offers that fix a quote,
    // and a change of the shift's surge, take it (a change before it locks the shift row).
    await q.query(`
      CREATE FUNCTION surge_lock(p_shift uuid) RETURNS void
      LANGUAGE sql VOLATILE AS $$
        SELECT pg_advisory_xact_lock(hashtextextended('surge:' || p_shift::text, 0))
      $$`);

    // p_reserve: a claim or an offer is about to fix this quote, so take the shift's surge lock
    // (held to the end of the transaction) and count what is committed after it. Without it, a
    // look (the queue) that reserves nothing.
    await q.query(`
      CREATE FUNCTION surge_quote(p_shift uuid, p_reserve boolean,
                                  OUT multiplier_bps int, OUT extra_minor bigint)
      LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        s record;
        open_n bigint;
        agents_n bigint;
        over bigint;
        left_minor bigint;
      BEGIN
        multiplier_bps := 10000;
        extra_minor := 0;
        SELECT company_id, rate_amount_minor, surge_max_multiplier_bps AS max_bps,
               surge_open_tickets_per_agent AS per_agent, surge_budget_minor AS budget
          INTO s FROM shifts WHERE id = p_shift;
        IF s.max_bps IS NULL THEN RETURN; END IF;
        IF p_reserve THEN
          PERFORM surge_lock(p_shift);
        END IF;
        SELECT count(*) INTO agents_n FROM shift_claims
         WHERE shift_id = p_shift AND status = 'checked_in';
        IF agents_n = 0 THEN RETURN; END IF;
        SELECT count(*) INTO open_n FROM tickets WHERE company_id = s.company_id AND status = 'open';
        -- open ÷ agents > per_agent, in integers: how far past the threshold, capped at 2×.
        over := least(open_n - s.per_agent * agents_n, s.per_agent * agents_n);
        IF over <= 0 THEN RETURN; END IF;
        left_minor := s.budget - surge_committed(p_shift);
        IF left_minor <= 0 THEN RETURN; END IF;
        multiplier_bps := 10000 + ((s.max_bps - 10000) * over) / (s.per_agent * agents_n);
        extra_minor := least((s.rate_amount_minor * (multiplier_bps - 10000)) / 10000, left_minor);
        IF extra_minor <= 0 THEN
          multiplier_bps := 10000;
          extra_minor := 0;
        END IF;
      END
      $$`);

    await q.query(`DROP FUNCTION write_ticket_claim(uuid, uuid, uuid, interval, text)`);
    await q.query(writeTicketClaim());

    // Each claim shows its surge (what it adds to the shift's rate until it is resolved).
    await q.query(`
      CREATE OR REPLACE FUNCTION ticket_claim_history(p_ticket uuid) RETURNS jsonb
      LANGUAGE sql STABLE AS $$
        SELECT coalesce(jsonb_agg(jsonb_build_object(
                 'claimId', c.id, 'agentId', c.agent_id, 'displayName', a.display_name,
                 'status', c.status, 'claimedAt', c.claimed_at, 'releasedAt', c.released_at,
                 'releasedBy', c.released_by, 'releaseReason', c.release_reason,
                 'resolvedAt', c.resolved_at, 'resolutionSummary', c.resolution_summary,
                 'amount', c.rate_amount_minor, 'currency', c.rate_currency,
                 'reopenedAt', c.reopened_at, 'surgeMultiplierBps', c.surge_multiplier_bps,
                 'surgeExtraMinor', c.surge_extra_minor) ORDER BY c.claimed_at, c.id), '[]')
          FROM ticket_claims c JOIN agents a ON a.user_id = c.agent_id
         WHERE c.ticket_id = p_ticket
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION ticket_claim_history(p_ticket uuid) RETURNS jsonb
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
    await q.query(
      `DROP FUNCTION write_ticket_claim(uuid, uuid, uuid, interval, text, int, bigint)`,
    );
    await q.query(`DROP FUNCTION surge_quote(uuid, boolean)`);
    await q.query(`DROP FUNCTION surge_committed(uuid)`);
    await q.query(`DROP FUNCTION surge_lock(uuid)`);
    await q.query(`DROP INDEX ix_offers_shift_surge`);
    await q.query(`DROP INDEX ix_ticket_claims_shift_surge`);
    for (const table of ['offers', 'ticket_claims']) {
      await q.query(`ALTER TABLE ${table} DROP CONSTRAINT ck_${table}_surge,
                       DROP COLUMN surge_extra_minor, DROP COLUMN surge_multiplier_bps`);
    }
    await q.query(`ALTER TABLE shifts DROP CONSTRAINT ck_shifts_surge,
                     DROP COLUMN surge_budget_minor, DROP COLUMN surge_open_tickets_per_agent,
                     DROP COLUMN surge_max_multiplier_bps`);
    // write_ticket_claim as ClaimRequestId made it.
    await q.query(`
      CREATE FUNCTION write_ticket_claim(p_ticket uuid, p_agent uuid, p_shift uuid,
                                         p_handle_timeout interval, p_request_id text,
                                         OUT ticket jsonb, OUT claims jsonb, OUT claim_id uuid)
      LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        t tickets;
        new_claim ticket_claims;
      BEGIN
        UPDATE tickets SET status = 'claimed', claimed_by = p_agent, claimed_at = now(),
               last_activity_at = now(), updated_at = now()
         WHERE id = p_ticket RETURNING * INTO t;
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
  }
}

/**
 * write_ticket_claim as this migration makes it; `keyed` (ClaimNextKeyed) adds a last parameter,
 * the Idempotency-Key of the claim-next that makes the claim, kept on its row; `stampedAtLock`
 * (ClaimStampedAtLock) stamps the claim with the clock once the ticket is locked, not the
 * transaction's start.
 */
function writeTicketClaim(keyed = false, stampedAtLock = false): string {
  const at = stampedAtLock ? 'v_at' : 'now()';
  return `
      CREATE FUNCTION write_ticket_claim(p_ticket uuid, p_agent uuid, p_shift uuid,
                                         p_handle_timeout interval, p_request_id text,
                                         p_surge_bps int DEFAULT NULL,
                                         p_surge_extra bigint DEFAULT NULL,${
                                           keyed
                                             ? `
                                         p_request_key text DEFAULT NULL,`
                                             : ''
                                         }
                                         OUT ticket jsonb, OUT claims jsonb, OUT claim_id uuid)
      LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        t tickets;
        new_claim ticket_claims;
        sq record;${stampedAtLock ? '\n        v_at timestamptz;' : ''}
      BEGIN
        IF p_surge_bps IS NULL THEN
          sq := surge_quote(p_shift, true);
        ELSE
          SELECT p_surge_bps AS multiplier_bps, p_surge_extra AS extra_minor INTO sq;
        END IF;${
          stampedAtLock
            ? `
        PERFORM 1 FROM tickets WHERE id = p_ticket FOR UPDATE;
        v_at := clock_timestamp();`
            : ''
        }
        UPDATE tickets SET status = 'claimed', claimed_by = p_agent, claimed_at = ${at},
               last_activity_at = ${at}, updated_at = now()
         WHERE id = p_ticket RETURNING * INTO t;
        -- uq_ticket_claims_active backs the row lock: one active claim per ticket, always.
        INSERT INTO ticket_claims (ticket_id, agent_id, company_id, shift_id,
                                   surge_multiplier_bps, surge_extra_minor${keyed ? ', request_key' : ''}${
                                     stampedAtLock ? ', claimed_at' : ''
                                   })
        VALUES (t.id, p_agent, t.company_id, p_shift, sq.multiplier_bps, sq.extra_minor${
          keyed ? ', p_request_key' : ''
        }${stampedAtLock ? ', v_at' : ''})
        RETURNING * INTO new_claim;
        INSERT INTO outbox (job_name, payload, run_at, request_id) VALUES
          ('ticket.claimed', jsonb_build_object(
             'eventId', gen_random_uuid(), 'ticketId', t.id, 'companyId', t.company_id,
             'externalId', t.external_id, 'agentId', p_agent, 'claimId', new_claim.id,
             'occurredAt', to_char(${at} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
             'data', '{}'::jsonb), now(), p_request_id),
          ('ticket.handle-timeout', jsonb_build_object('claimId', new_claim.id),
           new_claim.claimed_at + p_handle_timeout, p_request_id);
        ticket := to_jsonb(t);
        claims := ticket_claim_history(t.id);
        claim_id := new_claim.id;
      END
      $$`;
}
