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

/** The ticket the push router offers an agent: picked and locked among its candidates. */
@Injectable()
export class OfferableTicketsRepository {
  /**
   * The best of `ids` (ticket_candidates' order) still open, with no pending offer and not
   * declined or let expire by this agent on this shift, locked; SKIP LOCKED so two routers never
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
                           AND (o.status = 'pending'
                                OR (o.agent_id = $2 AND o.shift_id = $3
                                    AND o.status IN ('declined', 'expired'))))
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
