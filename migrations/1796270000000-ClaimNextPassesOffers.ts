import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * claim_next_ticket (Offers' text), with or without passing over tickets offered after its
 * candidates were read.
 *
 * ticket_candidates skips tickets with a pending offer, but it is one statement and the pick
 * (`FOR UPDATE SKIP LOCKED`) is the next: a router that offered a candidate and committed in
 * between left it open and unlocked, so a pull-shift agent's claim-next took a ticket reserved
 * for a push-shift agent, whose accept then answered 409. An offer does not update its ticket,
 * so the pick's lock does not re-read it; the pick now skips tickets with a pending offer (an
 * offer committed before it began), and, once the ticket is locked, a fresh statement looks
 * again (an offer committed between the pick's snapshot and its lock) and passes over it to the
 * next candidate. A router offering after
 * that finds the ticket locked (SKIP LOCKED) and then claimed. A claim by id already read the
 * offer after locking its ticket.
 */
function claimNext(
  passOffers: boolean,
  recheckSkills = false,
  // What makes an offer hold its ticket (OfferReservationsLapse adds a time to it).
  reserves = `o.status = 'pending'`,
  // ClaimNextKeyed: the request's Idempotency-Key kept on the claim, and the claim it made.
  keyed = false,
): string {
  const pick = `SELECT tk.id INTO picked FROM tickets tk
         WHERE tk.id = ANY (ids) AND tk.status = 'open'${
           passOffers
             ? ` AND tk.id <> ALL (passed)
           AND NOT EXISTS (SELECT 1 FROM offers o
                            WHERE o.ticket_id = tk.id AND ${reserves})`
             : ''
         }${
           recheckSkills
             ? `
           AND NOT EXISTS (
                 SELECT 1 FROM unnest(tk.skill_codes, tk.skill_levels) AS r(skill, level)
                   LEFT JOIN unnest(c.skill_codes, c.skill_levels) AS k(skill, level)
                          ON k.skill = r.skill
                  WHERE k.level IS NULL OR k.level < r.level)`
             : ''
         }
         ORDER BY tk.rank DESC, tk.sla_deadline, tk.created_at
         LIMIT 1 FOR UPDATE SKIP LOCKED;`;
  const choose = passOffers
    ? `LOOP
          ${pick}
          EXIT WHEN picked IS NULL OR NOT EXISTS (
            SELECT 1 FROM offers o WHERE o.ticket_id = picked AND ${reserves});
          passed := passed || picked;
        END LOOP;`
    : pick;
  return `
    CREATE OR REPLACE FUNCTION claim_next_ticket(p_agent uuid, p_handle_timeout interval,
                                                 p_rounds int[], p_request_id text${
                                                   keyed
                                                     ? `,
                                                 p_request_key text DEFAULT NULL,
                                                 p_key_ttl interval DEFAULT NULL`
                                                     : ''
                                                 })
    RETURNS TABLE (ctx jsonb, ticket jsonb, claims jsonb, claim_id uuid${
      keyed ? ', prior_claim uuid, prior_ticket uuid' : ''
    })
    LANGUAGE plpgsql VOLATILE AS $$
    DECLARE
      c record;
      lim int;
      ids uuid[];
      picked uuid;
      w record;${
        passOffers
          ? `
      passed uuid[] := '{}';`
          : ''
      }
    BEGIN
      -- NO KEY UPDATE: one agent's claims queue up; rows referencing the agent still insert.
      PERFORM 1 FROM agents WHERE user_id = p_agent FOR NO KEY UPDATE;
      IF NOT FOUND THEN RETURN; END IF;${
        keyed
          ? `
      -- A claim this key made already (its answer was lost and the key freed): that one, again.
      -- One at most in the key's lifetime: it is looked for under the agent's lock, before any.
      -- Along ix_ticket_claims_agent_claimed: the agent's claims of that lifetime alone.
      IF p_request_key IS NOT NULL THEN
        SELECT tc.id, tc.ticket_id INTO prior_claim, prior_ticket FROM ticket_claims tc
         WHERE tc.agent_id = p_agent AND tc.request_key = p_request_key
           AND tc.claimed_at > now() - p_key_ttl
         ORDER BY tc.claimed_at DESC LIMIT 1;
        IF FOUND THEN
          RETURN NEXT;
          RETURN;
        END IF;
      END IF;`
          : ''
      }
      SELECT * INTO c FROM agent_context(p_agent);
      ctx := to_jsonb(c);
      IF c.suspended OR c.shift_id IS NULL OR (c.requires_certification AND NOT c.certified)
         OR c.active >= c.max_concurrent_tickets OR c.routing = 'push' THEN
        RETURN NEXT;
        RETURN;
      END IF;
      FOREACH lim IN ARRAY p_rounds LOOP
        ids := ARRAY(SELECT id FROM ticket_candidates(c.company_id, p_agent, c.languages,
                                                      c.skill_codes, c.skill_levels, lim) id);
        EXIT WHEN cardinality(ids) = 0;
        ${choose}
        IF picked IS NOT NULL THEN
          w := write_ticket_claim(picked, p_agent, c.shift_id, p_handle_timeout, p_request_id${
            keyed ? ', NULL, NULL, p_request_key' : ''
          });
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

export class ClaimNextPassesOffers1796270000000 implements MigrationInterface {
  name = 'ClaimNextPassesOffers1796270000000';

  /** The function's text, for later migrations (ClaimNextRechecksSkills adds a condition). */
  static readonly claimNext = claimNext;

  async up(q: QueryRunner): Promise<void> {
    await q.query(claimNext(true));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(claimNext(false));
  }
}
