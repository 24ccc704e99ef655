import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { cursorInstant, KeyedRow } from '../../database/sql';
import type { DisputeStatus, ReviewTag } from './quality.dto';

export interface ReviewRow {
  id: string;
  ticket_id: string;
  claim_id: string;
  agent_id: string;
  company_id: string;
  reviewer_id: string;
  score: number;
  tags: ReviewTag[];
  note: string | null;
  created_at: Date;
  updated_at: Date;
  dispute_status: DisputeStatus | null;
  dispute_reason: string | null;
  disputed_at: Date | null;
  decided_by: string | null;
  decided_at: Date | null;
  decision_note: string | null;
}

export interface ReviewContent {
  score: number;
  tags: ReviewTag[];
  note: string | null;
}

/** The `ticket_reviews` table: the company's review of a resolution and its dispute. */
@Injectable()
export class ReviewsRepository {
  /** The review of one resolution (its claim). */
  async findByClaim(
    em: EntityManager,
    claimId: string,
    lock = false,
  ): Promise<ReviewRow | undefined> {
    const [row]: ReviewRow[] = await em.query(
      `SELECT * FROM ticket_reviews WHERE claim_id = $1 ${lock ? 'FOR UPDATE' : ''}`,
      [claimId],
    );
    return row;
  }

  /** A review; `agentId` scopes it to the agent it is about (null: any, for an admin). */
  async lock(
    em: EntityManager,
    id: string,
    agentId: string | null,
  ): Promise<ReviewRow | undefined> {
    const [row]: ReviewRow[] = await em.query(
      `SELECT * FROM ticket_reviews WHERE id = $1 AND ($2::uuid IS NULL OR agent_id = $2)
          FOR UPDATE`,
      [id, agentId],
    );
    return row;
  }

  /** Inserts unless the resolution has a review already: the row written, or undefined. */
  async insert(
    em: EntityManager,
    row: Pick<ReviewRow, 'ticket_id' | 'claim_id' | 'agent_id' | 'company_id' | 'reviewer_id'> &
      ReviewContent,
  ): Promise<ReviewRow | undefined> {
    const [inserted]: ReviewRow[] = await em.query(
      `INSERT INTO ticket_reviews
              (ticket_id, claim_id, agent_id, company_id, reviewer_id, score, tags, note)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT ON CONSTRAINT uq_ticket_reviews_claim DO NOTHING RETURNING *`,
      [
        row.ticket_id,
        row.claim_id,
        row.agent_id,
        row.company_id,
        row.reviewer_id,
        row.score,
        row.tags,
        row.note,
      ],
    );
    return inserted;
  }

  async update(em: EntityManager, id: string, c: ReviewContent): Promise<ReviewRow> {
    const [[row]]: [ReviewRow[], number] = await em.query(
      // Changed only if the content is: a save of the same (or its retry) must not move
      // updated_at, which a dispute names as the version the agent read (REVIEW_CHANGED).
      `UPDATE ticket_reviews
          SET score = $2, tags = $3, note = $4,
              updated_at = CASE WHEN (score, tags, note) IS NOT DISTINCT FROM ($2, $3::text[], $4)
                                THEN updated_at ELSE now() END
        WHERE id = $1 RETURNING *`,
      [id, c.score, c.tags, c.note],
    );
    return row;
  }

  async dispute(em: EntityManager, id: string, reason: string): Promise<ReviewRow> {
    const [[row]]: [ReviewRow[], number] = await em.query(
      `UPDATE ticket_reviews SET dispute_status = 'pending', dispute_reason = $2, disputed_at = now()
        WHERE id = $1 RETURNING *`,
      [id, reason],
    );
    return row;
  }

  async decide(
    em: EntityManager,
    id: string,
    status: 'upheld' | 'removed',
    by: string,
    note: string,
  ): Promise<ReviewRow> {
    const [[row]]: [ReviewRow[], number] = await em.query(
      `UPDATE ticket_reviews SET dispute_status = $2, decided_by = $3, decided_at = now(),
              decision_note = $4
        WHERE id = $1 RETURNING *`,
      [id, status, by, note],
    );
    return row;
  }

  /** Disputed reviews in one state, oldest dispute first, one keyset page (`limit` + 1 rows). */
  disputed(
    em: EntityManager,
    status: DisputeStatus,
    after: [string, string] | null,
    limit: number,
  ): Promise<KeyedRow<ReviewRow>[]> {
    return em.query(
      `SELECT *, ${cursorInstant('disputed_at')} FROM ticket_reviews
        WHERE dispute_status = $1
          AND ($2::timestamptz IS NULL OR (disputed_at, id) > ($2::timestamptz, $3::uuid))
        ORDER BY disputed_at, id LIMIT $4`,
      [status, after?.[0] ?? null, after?.[1] ?? null, limit + 1],
    );
  }
}
