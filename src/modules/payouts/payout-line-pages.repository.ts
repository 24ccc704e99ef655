import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { PAYOUT_LINE_VIEW_COLUMNS, PayoutLineViewRow } from './payout-lines.repository';

/**
 * A run's lines a page at a time, largest drafted amount first (then by id, descending): the
 * two never change once drafted, so a page's place holds while the run pays and lines change
 * status. Through ix_payout_lines_run_amount, or ix_payout_lines_run_status_amount for one
 * status (migration PayoutLinesPaged).
 */
@Injectable()
export class PayoutLinePagesRepository {
  page(
    em: EntityManager,
    runId: string,
    filter: { status: string | null; after: string[] | null; limit: number },
  ): Promise<PayoutLineViewRow[]> {
    const { status, after, limit } = filter;
    return em.query(
      `SELECT ${PAYOUT_LINE_VIEW_COLUMNS}
         FROM payout_lines
        WHERE run_id = $1 AND ($2::text IS NULL OR status = $2)
          AND ($3::bigint IS NULL OR (amount_minor, id) < ($3::bigint, $4::uuid))
        ORDER BY amount_minor DESC, id DESC LIMIT $5`,
      [runId, status, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
  }
}
