import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface LastResolutionRow {
  /** The ticket was withdrawn (then the claim's columns are null: final, nothing to rate). */
  withdrawn: boolean;
  id: string | null;
  agent_id: string | null;
  company_id: string | null;
  resolved_at: Date | null;
}

/** One item agents flagged missing from the company's handoffs, and how often. */
export interface MissingItemRow {
  item: string;
  count: number;
}

/** The company's escalations since `since`, and how many of each kind of trouble. */
export interface HandoffCountsRow {
  escalations: number;
  judged: number;
  incomplete: number;
  reopened: number;
  transferred: number;
  withdrawn: number;
  troubled: number;
}

/**
 * What quality asks of tickets and their claims: who last resolved a ticket, an agent's
 * reopen rate, and how well a company's bot hands over (flags, reopens, transfers, withdrawals).
 */
@Injectable()
export class TicketQualityRepository {
  /** Claims with their ticket's subject: what a review of each (a resolved one) is about. */
  resolutionsOf(
    em: EntityManager,
    claimIds: string[],
  ): Promise<
    { claim_id: string; subject: string; resolution_summary: string | null; resolved_at: Date }[]
  > {
    return em.query(
      `SELECT c.id AS claim_id, t.subject, c.resolution_summary, c.resolved_at
         FROM ticket_claims c JOIN tickets t ON t.id = c.ticket_id
        WHERE c.id = ANY($1::uuid[])`,
      [claimIds],
    );
  }

  /**
   * The claim that last resolved the ticket (reopened since or not), and whether the ticket was
   * withdrawn. Of a withdrawn ticket, only a resolution reopened before the withdrawal: a paid
   * withdrawal resolves its claim, but the customer left (nothing to rate or review), while a
   * resolution reopened and then withdrawn still counts for its agent, and so does its review.
   * Undefined when there is no ticket.
   */
  async lastResolution(
    em: EntityManager,
    ticketId: string,
  ): Promise<LastResolutionRow | undefined> {
    const [row]: LastResolutionRow[] = await em.query(
      `SELECT t.status = 'withdrawn' AS withdrawn, c.id, c.agent_id, c.company_id, c.resolved_at
         FROM tickets t
         LEFT JOIN LATERAL (
           SELECT id, agent_id, company_id, resolved_at FROM ticket_claims
            WHERE ticket_id = t.id AND status = 'resolved'
              AND (t.status <> 'withdrawn' OR reopened_at IS NOT NULL)
            ORDER BY resolved_at DESC LIMIT 1) c ON true
        WHERE t.id = $1`,
      [ticketId],
    );
    return row;
  }

  /**
   * The agent's resolutions since `since` (of one company, or any), and how many reopened. Not
   * paid withdrawals: final, they can never reopen, and counted they lowered the rate. (A
   * resolution reopened before its ticket was withdrawn still counts, reopened.)
   */
  async resolutionCounts(
    em: EntityManager,
    agentId: string,
    since: Date,
    companyId: string | null,
  ): Promise<{ resolved: number; reopened: number }> {
    const [row]: { resolved: number; reopened: number }[] = await em.query(
      `SELECT count(*)::int AS resolved, count(c.reopened_at)::int AS reopened
         FROM ticket_claims c JOIN tickets t ON t.id = c.ticket_id
        WHERE c.agent_id = $1 AND c.status = 'resolved' AND c.resolved_at > $2
          AND ($3::uuid IS NULL OR c.company_id = $3)
          AND (t.status <> 'withdrawn' OR c.reopened_at IS NOT NULL)`,
      [agentId, since, companyId],
    );
    return row;
  }

  /** resolutionCounts per company, in one statement (an agent may work for dozens). */
  resolutionCountsByCompany(
    em: EntityManager,
    agentId: string,
    since: Date,
  ): Promise<{ company_id: string; resolved: number; reopened: number }[]> {
    return em.query(
      `SELECT c.company_id, count(*)::int AS resolved, count(c.reopened_at)::int AS reopened
         FROM ticket_claims c JOIN tickets t ON t.id = c.ticket_id
        WHERE c.agent_id = $1 AND c.status = 'resolved' AND c.resolved_at > $2
          AND (t.status <> 'withdrawn' OR c.reopened_at IS NOT NULL)
        GROUP BY c.company_id`,
      [agentId, since],
    );
  }

  /**
   * The company's escalations created since `since`: how many, how many an agent judged the
   * handoff of, and how many were flagged incomplete, reopened, transferred or withdrawn (and
   * any of these: `troubled`).
   */
  async handoffCounts(
    em: EntityManager,
    companyId: string,
    since: Date,
  ): Promise<HandoffCountsRow> {
    const [row]: HandoffCountsRow[] = await em.query(
      `WITH t AS (
         SELECT id, status FROM tickets WHERE company_id = $1 AND created_at > $2
       ), c AS (
         SELECT c.ticket_id,
                bool_or(c.handoff_complete IS NOT NULL) AS judged,
                bool_or(c.handoff_complete = false) AS incomplete,
                bool_or(c.reopened_at IS NOT NULL) AS reopened,
                bool_or(c.released_by = 'transfer') AS transferred
           FROM ticket_claims c JOIN t ON t.id = c.ticket_id
          GROUP BY c.ticket_id
       )
       SELECT count(*)::int AS escalations,
              count(*) FILTER (WHERE c.judged)::int AS judged,
              count(*) FILTER (WHERE c.incomplete)::int AS incomplete,
              count(*) FILTER (WHERE c.reopened)::int AS reopened,
              count(*) FILTER (WHERE c.transferred)::int AS transferred,
              count(*) FILTER (WHERE t.status = 'withdrawn')::int AS withdrawn,
              count(*) FILTER (WHERE c.incomplete OR c.reopened OR c.transferred
                                  OR t.status = 'withdrawn')::int AS troubled
         FROM t LEFT JOIN c ON c.ticket_id = t.id`,
      [companyId, since],
    );
    return row;
  }

  /** What agents most often found missing from the company's handoffs since `since`. */
  missingItems(
    em: EntityManager,
    companyId: string,
    since: Date,
    limit: number,
  ): Promise<MissingItemRow[]> {
    return em.query(
      `SELECT m.item, count(*)::int AS count
         FROM ticket_claims c JOIN tickets t ON t.id = c.ticket_id,
              unnest(c.handoff_missing) AS m(item)
        WHERE t.company_id = $1 AND t.created_at > $2
        GROUP BY m.item ORDER BY count(*) DESC, m.item LIMIT $3`,
      [companyId, since, limit],
    );
  }

  /**
   * Per seat: the agent's standing resolutions (not reopened) and their pay, each ticket claim
   * counted to the seat on its shift that began last before the claim was made (the first seat
   * of a shift takes any claim before it).
   */
  earnedOnSeats(
    em: EntityManager,
    agentId: string,
    seats: { seatId: string; shiftId: string; from: Date }[],
  ): Promise<{ seat_id: string; resolved: number; earned: string; currency: string }[]> {
    return em.query(
      `WITH seats AS (
         SELECT seat_id, shift_id,
                CASE WHEN row_number() OVER (PARTITION BY shift_id ORDER BY from_at) = 1
                     THEN '-infinity'::timestamptz ELSE from_at END AS from_at
           FROM unnest($2::uuid[], $3::uuid[], $4::timestamptz[]) AS s(seat_id, shift_id, from_at))
       SELECT s.seat_id, count(*)::int AS resolved, sum(c.rate_amount_minor) AS earned,
              min(c.rate_currency) AS currency
         FROM ticket_claims c
         JOIN LATERAL (SELECT seat_id FROM seats s
                        WHERE s.shift_id = c.shift_id AND s.from_at <= c.claimed_at
                        ORDER BY s.from_at DESC LIMIT 1) s ON true
        WHERE c.agent_id = $1 AND c.shift_id = ANY($3::uuid[]) AND c.status = 'resolved'
          AND c.reopened_at IS NULL
        GROUP BY s.seat_id`,
      [agentId, seats.map((s) => s.seatId), seats.map((s) => s.shiftId), seats.map((s) => s.from)],
    );
  }

  /** Per shift: standing resolutions by every agent. */
  /** Standing resolutions by each agent on its shift, of these (shift, agent) seats, per group. */
  resolutionsOnSeats(
    em: EntityManager,
    shiftIds: string[],
    agentIds: string[],
    groups: string[],
  ): Promise<{ grp: string; resolved: number }[]> {
    return em.query(
      `SELECT s.grp, count(*)::int AS resolved
         FROM (SELECT DISTINCT * FROM unnest($1::uuid[], $2::uuid[], $3::text[])
                 AS s(shift_id, agent_id, grp)) s
         JOIN ticket_claims c ON c.shift_id = s.shift_id AND c.agent_id = s.agent_id
        WHERE c.status = 'resolved' AND c.reopened_at IS NULL
        GROUP BY s.grp`,
      [shiftIds, agentIds, groups],
    );
  }
}
