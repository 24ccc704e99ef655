import { MigrationInterface, QueryRunner } from 'typeorm';

/** ticket_candidates (ClaimInOneCall's text), with or without skipping tickets on offer. */
function ticketCandidates(
  skipOffered: boolean,
  // What makes an offer hold its ticket (OfferReservationsLapse adds a time to it).
  reserves = `o.status = 'pending'`,
): string {
  const offered = skipOffered
    ? `
              AND NOT EXISTS (
                    SELECT 1 FROM offers o WHERE o.ticket_id = t.id AND ${reserves})`
    : '';
  return `
      CREATE OR REPLACE FUNCTION ticket_candidates(p_company uuid, p_agent uuid,
                                                   p_languages text[], p_skills text[],
                                                   p_levels int[], p_limit int)
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
                     WHERE d.ticket_id = t.id AND d.agent_id = p_agent AND d.until > now())${offered}
            ORDER BY t.rank DESC, t.sla_deadline, t.created_at
            LIMIT p_limit) t
         ORDER BY t.rank DESC, t.sla_deadline, t.created_at
         LIMIT p_limit
      $$`;
}

/**
 * An offer is a reservation (issue 15): while a ticket is offered to a push-shift agent,
 * claim-next of a pull-shift agent of the same company passes over it (ticket_candidates skips
 * tickets with a pending offer: one probe of uq_offers_pending_ticket per candidate), and a
 * claim by id answers NOT_ELIGIBLE [OFFERED] until the offer is decided.
 *
 * The router's fairness order (LONGEST_IDLE_FIRST) reads each candidate agent's latest claim;
 * without ix_ticket_claims_agent_claimed that is a scan of every claim per candidate and per
 * pass, which made the router fall behind in bench/fairness.ts and would not survive a million
 * tickets.
 */
export class OfferReservations1795940000000 implements MigrationInterface {
  name = 'OfferReservations1795940000000';

  /** The function's text, for later migrations (OfferReservationsLapse). */
  static readonly ticketCandidates = ticketCandidates;

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX ix_ticket_claims_agent_claimed ON ticket_claims (agent_id, claimed_at DESC)`,
    );
    await q.query(ticketCandidates(true));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(ticketCandidates(false));
    await q.query(`DROP INDEX ix_ticket_claims_agent_claimed`);
  }
}
