import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface RatingRow {
  ticket_id: string;
  claim_id: string;
  agent_id: string;
  company_id: string;
  csat: number;
  comment: string | null;
  created_at: Date;
}

/** The `ticket_ratings` table: the bot's rating of a resolution, one per ticket. */
@Injectable()
export class RatingsRepository {
  async find(em: EntityManager, ticketId: string): Promise<RatingRow | undefined> {
    const [row]: RatingRow[] = await em.query('SELECT * FROM ticket_ratings WHERE ticket_id = $1', [
      ticketId,
    ]);
    return row;
  }

  /**
   * Inserts the rating unless the ticket has one (a concurrent insert waits for the other to
   * commit, then finds it): the row written, or undefined.
   */
  async insert(
    em: EntityManager,
    row: Omit<RatingRow, 'created_at'>,
  ): Promise<RatingRow | undefined> {
    const [inserted]: RatingRow[] = await em.query(
      `INSERT INTO ticket_ratings (ticket_id, claim_id, agent_id, company_id, csat, comment)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (ticket_id) DO NOTHING RETURNING *`,
      [row.ticket_id, row.claim_id, row.agent_id, row.company_id, row.csat, row.comment],
    );
    return inserted;
  }
}
