import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { OFFER_LAPSE } from './offers.repository';
import { PASSED_ON } from './offerable-tickets.repository';

/**
 * An agent's wait, as the router counts it: since its last offer or claim (or its check-in,
 * when it had neither, or its seat's start if later: a check-in up to CHECK_IN_OPENS_MINUTES
 * early waited for no work, none being offered before the start), or since it came back from
 * away if later: time away is not waiting (before, a break, or being set away for letting
 * offers expire, sent the agent past the floor ahead of everyone on its return; so did an early
 * check-in, at the start). An offer withdrawn (the bot withdrew the ticket, the shift ended) is
 * not work the agent had. Over candidateAgents' first step's columns (the seat's, available:
 * its last change of availability was its return; `last_work`, below, over the seat `sc`).
 */
const LAST_WORK = `greatest(
    (SELECT max(o.created_at) FROM offers o
      WHERE o.agent_id = sc.agent_id AND o.status <> 'withdrawn'),
    (SELECT max(tc.claimed_at) FROM ticket_claims tc WHERE tc.agent_id = sc.agent_id)
  )`;
const WAITING_SINCE = 'greatest(checked_in_at, seat_start, availability_changed_at, last_work)';

/** An agent waiting more than this many times its tier's median wait goes before everyone. */
const FLOOR_FACTOR = 3;

/**
 * The router's order (issues 15 and 19) over the candidates `w` (agent_id, tier, since, wait in
 * seconds) and their tier's median wait `m.median`:
 * 1. the fairness floor: an agent waiting more than FLOOR_FACTOR × its tier's median wait goes
 *    first (the longest waiting of those first), whatever its tier;
 * 2. then by quality tier (top, middle, bottom; an agent with no score is middle);
 * 3. within a tier, the longest waiting first; ties (agents checked in before the start all
 *    wait since it) to the one longest without work, on any shift (`last_work`, none first),
 *    then by agent id, so the order is total. By id alone, the same agents got the first offers
 *    at every shift's start, however long the others had gone without.
 */
export const FAIRNESS_POLICY = `
  w.wait > ${FLOOR_FACTOR} * m.median DESC,
  CASE WHEN w.wait > ${FLOOR_FACTOR} * m.median THEN 0
       WHEN w.tier = 'top' THEN 0 WHEN w.tier = 'middle' THEN 1 ELSE 2 END,
  w.since ASC, w.last_work ASC NULLS FIRST, w.agent_id ASC`;

/** The best candidates the router looks at for an agent, besides those below. */
const CANDIDATES = 64;

/**
 * How far the router reads ticket_candidates for an agent: past the 64 best by the tickets it
 * lets through that the router will not offer. Those the agent declined or let expire on the
 * shift (else an agent who had passed on the 64 best, hard tickets that stay open and rise with
 * their breaches, was never offered the ones below them); and those whose pending offer ran out
 * over OFFER_LAPSE ago (claim-next may take them, but one offer per ticket stands until its
 * expiry job decides it: with that job late, 64 of them on top left every ticket below unoffered).
 */
const CANDIDATE_WINDOW = (agent: string, shift: string, company: string) =>
  `(${CANDIDATES} + (SELECT count(*)::int FROM offers p
                     WHERE p.agent_id = ${agent} AND p.shift_id = ${shift}
                       AND p.status IN ('declined', 'expired'))
                  + (SELECT count(*)::int FROM offers l
                     WHERE l.company_id = ${company} AND l.status = 'pending'
                       AND l.expires_at <= now() - ${OFFER_LAPSE}))`;

/** An agent the router may offer to, with its last work as the order was read. */
export interface RoutingCandidate {
  agentId: string;
  /**
   * As the database wrote it, in text: a JS Date keeps milliseconds, and the offer it was read
   * from (microseconds) would then count as work after it.
   */
  lastWork: string | null;
}

/**
 * What the push router reads before it locks anything: whether a company has a ticket to
 * route, who may be offered one in its fair order, and who has one to be offered. Each answer is
 * re-checked by offerOne under the agent's lock.
 */
@Injectable()
export class OfferRoutingRepository {
  /** Whether the company has an open ticket with no pending offer (else there is nothing to route). */
  async hasUnofferedTicket(em: EntityManager, companyId: string): Promise<boolean> {
    const [row]: { found: boolean }[] = await em.query(
      `SELECT EXISTS (SELECT 1 FROM tickets t WHERE t.company_id = $1 AND t.status = 'open'
                        AND NOT EXISTS (SELECT 1 FROM offers o
                                         WHERE o.ticket_id = t.id AND o.status = 'pending')) AS found`,
      [companyId],
    );
    return row.found;
  }

  /**
   * Agents of the company that may get an offer now, in the router's order (FAIRNESS_POLICY
   * above): checked in on a live push shift, available, not suspended, below their limit
   * counting pending offers. A declared exception to table ownership (shift_claims, shifts,
   * agents, agent_quality): the router reads the candidates in one statement; each is
   * re-checked under its row lock.
   */
  async candidateAgents(
    em: EntityManager,
    companyId: string,
    limit: number,
    skip = 0,
  ): Promise<RoutingCandidate[]> {
    const rows: { agent_id: string; last_work: string | null }[] = await em.query(
      `WITH s1 AS (
         SELECT sc.agent_id, coalesce(q.tier, 'middle') AS tier, ${LAST_WORK} AS last_work,
                sc.checked_in_at, lower(sc.period) AS seat_start, sc.availability_changed_at
           FROM shift_claims sc
           JOIN shifts s ON s.id = sc.shift_id
           JOIN agents a ON a.user_id = sc.agent_id
           LEFT JOIN agent_quality q ON q.agent_id = sc.agent_id
          WHERE s.company_id = $1 AND s.routing = 'push' AND s.status = 'scheduled'
            AND s.starts_at <= now() AND s.ends_at > now()
            AND sc.status = 'checked_in' AND sc.availability = 'available'
            AND a.suspended_at IS NULL
            AND (SELECT count(*) FROM ticket_claims tc
                  WHERE tc.agent_id = sc.agent_id AND tc.status = 'active')
              + (SELECT count(*) FROM offers p
                  WHERE p.agent_id = sc.agent_id AND p.status = 'pending')
              < a.max_concurrent_tickets
       ),
       w AS (
         SELECT agent_id, tier, last_work, since, extract(epoch FROM now() - since) AS wait
           FROM (SELECT *, ${WAITING_SINCE} AS since FROM s1) x
       ),
       m AS (
         SELECT tier, percentile_cont(0.5) WITHIN GROUP (ORDER BY wait) AS median
           FROM w GROUP BY tier
       )
       SELECT w.agent_id, w.last_work::text AS last_work FROM w JOIN m ON m.tier = w.tier
        ORDER BY ${FAIRNESS_POLICY}
        LIMIT $2 OFFSET $3`,
      [companyId, limit, skip],
    );
    return rows.map((r) => ({ agentId: r.agent_id, lastWork: r.last_work }));
  }

  /**
   * Whether the agent had work (an offer not withdrawn, a claim) after `lastWork`, its last as
   * candidateAgents read it: its place in the order is not what that read gave any more. Under
   * the agent's lock: another process's router that read the same order may have offered it a
   * ticket meanwhile, and a second offer would pass over an agent who has waited longer.
   */
  async hadWorkSince(
    em: EntityManager,
    agentId: string,
    lastWork: string | null,
  ): Promise<boolean> {
    const [row]: { since: boolean }[] = await em.query(
      `SELECT EXISTS (SELECT 1 FROM offers o WHERE o.agent_id = $1 AND o.status <> 'withdrawn'
                        AND o.created_at > coalesce($2::timestamptz, '-infinity'))
           OR EXISTS (SELECT 1 FROM ticket_claims c WHERE c.agent_id = $1
                        AND c.claimed_at > coalesce($2::timestamptz, '-infinity')) AS since`,
      [agentId, lastWork],
    );
    return row.since;
  }

  /**
   * Of these agents, those with a ticket the router could offer them now: one of their
   * CANDIDATE_WINDOW by ticket_candidates (skills, languages, cooldowns) with no pending offer
   * (ticket_candidates lets through one run out over 30 s ago, for claim-next, but it is not
   * offered again until its expiry job decides it) that they have not declined or let expire on
   * their live push shift: the same test as offerOne's, which still decides under the agent's
   * lock. One statement for a batch, instead of a locked transaction for each agent that then
   * finds nothing.
   */
  async withOfferableTicket(
    em: EntityManager,
    companyId: string,
    agentIds: string[],
  ): Promise<Set<string>> {
    const rows: { agent_id: string }[] = await em.query(
      `SELECT a.user_id AS agent_id
         FROM agents a
         JOIN shift_claims sc ON sc.agent_id = a.user_id AND sc.status = 'checked_in'
         JOIN shifts s ON s.id = sc.shift_id AND s.company_id = $1 AND s.routing = 'push'
                      AND s.status = 'scheduled' AND s.starts_at <= now() AND s.ends_at > now()
         LEFT JOIN LATERAL (
           SELECT array_agg(k.skill ORDER BY k.skill) AS codes,
                  array_agg(k.level::int ORDER BY k.skill) AS levels
             FROM agent_skills k WHERE k.agent_id = a.user_id) sk ON true
        WHERE a.user_id = ANY ($2::uuid[])
          AND EXISTS (
                SELECT 1 FROM ticket_candidates($1, a.user_id, a.languages,
                                                coalesce(sk.codes, '{}'), coalesce(sk.levels, '{}'),
                                                ${CANDIDATE_WINDOW('a.user_id', 's.id', '$1')}) c(id)
                 WHERE NOT EXISTS (SELECT 1 FROM offers o
                                    WHERE o.ticket_id = c.id
                                      AND (o.status = 'pending'
                                           OR ${PASSED_ON('a.user_id', 's.id')})))`,
      [companyId, agentIds],
    );
    return new Set(rows.map((r) => r.agent_id));
  }

  /** How many of ticket_candidates' tickets offerOne reads for the agent (CANDIDATE_WINDOW). */
  async candidateWindow(
    em: EntityManager,
    agentId: string,
    shiftId: string,
    companyId: string,
  ): Promise<number> {
    const [row]: { n: number }[] = await em.query(
      `SELECT ${CANDIDATE_WINDOW('$1::uuid', '$2::uuid', '$3::uuid')} AS n`,
      [agentId, shiftId, companyId],
    );
    return row.n;
  }
}
