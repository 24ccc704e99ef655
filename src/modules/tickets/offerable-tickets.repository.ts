import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TicketRow } from './ticket.rows';

/** What the router knows of the agent it offers to, for the checks on the ticket it locks. */
export interface OfferTarget {
  id: string;
  shiftId: string;
  skillCodes: string[];
  skillLevels: number[];
}

/**
 * Whether offer `o` is one the agent passed on (declined or let expire) on the shift since the
 * ticket was last transferred: the router does not offer that ticket to the agent again on the
 * shift. A transfer hands on another task (other skills, a note for the next agent), which the
 * agent who passed on the first may be the only one able to take. An expiry passed at its time,
 * though its job may decide it later (after a claim-next took the ticket and transferred it).
 */
export const PASSED_ON = (agent: string, shift: string) =>
  `(o.agent_id = ${agent} AND o.shift_id = ${shift} AND o.status IN ('declined', 'expired')
    AND NOT EXISTS (SELECT 1 FROM ticket_claims x
                     WHERE x.ticket_id = o.ticket_id AND x.released_by = 'transfer'
                       AND x.released_at > least(o.decided_at, o.expires_at)))`;

/** The ticket the push router offers an agent: picked and locked among its candidates. */
@Injectable()
export class OfferableTicketsRepository {
  /**
   * The best of `ids` (ticket_candidates' order) still open, with no pending offer and not
   * passed on by this agent on this shift (PASSED_ON), locked; SKIP LOCKED so two routers never
   * wait on one ticket. (A withdrawn offer does not count: the ticket was taken from under it,
   * and once it is open again it may come back.) The agent's skills are checked again on the
   * row locked, as claim_next_ticket's pick does: a ticket claimed and transferred to other
   * skills since the candidates were read is open again, and not this agent's to be offered.
   */
  lockOfferable(
    em: EntityManager,
    ids: string[],
    agent: OfferTarget,
  ): Promise<TicketRow | undefined> {
    return this.firstOfferable(em, ids, agent, 'FOR UPDATE SKIP LOCKED');
  }

  /**
   * Whether one of `ids` lockOfferable passed over is offerable but locked by another
   * transaction at the moment (a message, a timer, a refused claim): read without a lock.
   */
  async offerableButLocked(em: EntityManager, ids: string[], agent: OfferTarget): Promise<boolean> {
    return (await this.firstOfferable(em, ids, agent, '')) !== undefined;
  }

  private async firstOfferable(
    em: EntityManager,
    ids: string[],
    agent: OfferTarget,
    lock: 'FOR UPDATE SKIP LOCKED' | '',
  ): Promise<TicketRow | undefined> {
    const [row]: TicketRow[] = await em.query(
      `SELECT * FROM tickets t
        WHERE t.id = ANY ($1::uuid[]) AND t.status = 'open'
          AND NOT EXISTS (SELECT 1 FROM offers o WHERE o.ticket_id = t.id
                           AND (o.status = 'pending' OR ${PASSED_ON('$2', '$3')}))
          AND NOT EXISTS (SELECT 1 FROM unnest(t.skill_codes, t.skill_levels) AS r(skill, level)
                            LEFT JOIN unnest($4::text[], $5::int[]) AS k(skill, level)
                                   ON k.skill = r.skill
                           WHERE k.level IS NULL OR k.level < r.level)
        ORDER BY t.rank DESC, t.sla_deadline, t.created_at, t.id
        LIMIT 1 ${lock}`,
      [ids, agent.id, agent.shiftId, agent.skillCodes, agent.skillLevels],
    );
    return row;
  }
}
