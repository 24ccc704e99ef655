import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { changedRows } from '../../database/sql';
import { PayoutLineRow } from './payout-lines.repository';

/** One `{ lineId }` job payload per payable line of run $1 (for OutboxService.enqueueSelect). */
export const PENDING_LINE_PAYLOADS_SQL = `SELECT jsonb_build_object('lineId', id) FROM payout_lines
        WHERE run_id = $1 AND status = 'pending'`;

/**
 * A line `processing` this long has lost its job (a worker died for good): a retry sends it
 * again (touchStuck), and the run's totals count it as stuck.
 */
export const STUCK_AFTER = `interval '10 minutes'`;

/**
 * payout_lines while an approved run is paid (PayoutRunExecutionService): lines beyond the
 * platform's balance held, failed and stuck lines sent again, a refused line abandoned.
 */
@Injectable()
export class PayoutLineExecutionRepository {
  /**
   * Holds the run's pending lines the platform's balance cannot cover: smallest first, so the
   * balance pays as many agents as it can; the rest are held (`insufficient_platform_balance`).
   * Returns how many were held.
   */
  async holdBeyondBalance(em: EntityManager, runId: string, available: number): Promise<number> {
    const [, held]: [unknown, number] = await em.query(
      `UPDATE payout_lines SET status = 'held', held_reason = 'insufficient_platform_balance'
        WHERE id IN (
          SELECT id FROM (
            SELECT id, sum(amount_minor) OVER (ORDER BY amount_minor, id) AS running
              FROM payout_lines WHERE run_id = $1 AND status = 'pending') s
           WHERE running > $2)`,
      [runId, available],
    );
    return held;
  }

  async countPayable(em: EntityManager, runId: string): Promise<number> {
    const [{ payable }]: { payable: number }[] = await em.query(
      `SELECT count(*)::int AS payable FROM payout_lines WHERE run_id = $1 AND status = 'pending'`,
      [runId],
    );
    return payable;
  }

  /**
   * The run's failed lines back to pending (their ids). After a refusal Stripe holds no transfer
   * for the old key (and would replay the refusal), so that line gets a fresh key, and its amount
   * is fixed again from the balance when it is sent; after exhausted 429/5xx retries it keeps its
   * key and amount, since Stripe may have made the transfer and must hand the same one back. A
   * line waiting for its key to expire (`resend_at` ahead) stays failed: until then Stripe would
   * only replay its saved error.
   */
  async resetFailed(em: EntityManager, runId: string): Promise<{ id: string }[]> {
    return changedRows(
      em,
      `UPDATE payout_lines
          SET status = 'pending', failure_code = NULL, failure_message = NULL,
              idempotency_key = CASE WHEN failure_permanent
                                     THEN 'payout-line-' || id || '-r' || attempts
                                     ELSE idempotency_key END,
              transfer_minor = CASE WHEN failure_permanent THEN NULL ELSE transfer_minor END,
              key_sent_at = CASE WHEN failure_permanent THEN NULL ELSE key_sent_at END,
              resend_at = CASE WHEN failure_permanent THEN NULL ELSE resend_at END,
              failure_permanent = false, updated_at = now()
        WHERE run_id = $1 AND status = 'failed' AND NOT coalesce(resend_at > now(), false)
        RETURNING id`,
      [runId],
    );
  }

  /** The run's lines stuck in `processing` for over 10 minutes (their ids), touched. */
  async touchStuck(em: EntityManager, runId: string): Promise<{ id: string }[]> {
    return changedRows(
      em,
      `UPDATE payout_lines SET updated_at = now()
        WHERE run_id = $1 AND status = 'processing' AND updated_at < now() - ${STUCK_AFTER}
        RETURNING id`,
      [runId],
    );
  }

  async lockInRun(
    em: EntityManager,
    lineId: string,
    runId: string,
  ): Promise<PayoutLineRow | undefined> {
    const [line]: PayoutLineRow[] = await em.query(
      'SELECT * FROM payout_lines WHERE id = $1 AND run_id = $2 FOR UPDATE',
      [lineId, runId],
    );
    return line;
  }

  async markAbandoned(
    em: EntityManager,
    lineId: string,
    reason: string,
    by: string,
  ): Promise<PayoutLineRow> {
    const [abandoned] = await changedRows<PayoutLineRow>(
      em,
      `UPDATE payout_lines
          SET status = 'abandoned', abandoned_reason = $2, abandoned_by = $3,
              abandoned_at = now(), updated_at = now()
        WHERE id = $1 RETURNING *`,
      [lineId, reason, by],
    );
    return abandoned;
  }
}
