import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ACTIVE_CLAIM_STATUSES } from './shift-rules';
import { IdRow } from './shift.rows';

/**
 * The shifts on which an agent holds a seat that has not ended, for a suspension or a revoked
 * certification (SeatSuspension, SeatRevocation): locked in id order, a seat given back on each.
 */
@Injectable()
export class LiveSeatShiftsRepository {
  /** Gives one seat back on each shift (a suspension cancelled one seat on each). */
  async freeOneSeatEach(em: EntityManager, shiftIds: string[]): Promise<void> {
    await em.query(
      `UPDATE shifts SET seats_taken = seats_taken - 1, updated_at = now() WHERE id = ANY($1)`,
      [shiftIds],
    );
  }

  /**
   * Locks the shifts on which the agent holds a seat that has not ended, in id order, and
   * returns their ids.
   */
  async lockWithLiveSeatsOf(em: EntityManager, agentId: string): Promise<string[]> {
    // NO KEY UPDATE: it still keeps out seat claims (NO KEY UPDATE there) and check-ins (SHARE),
    // but not the foreign-key checks of an offer or claim the agent's own transaction inserts
    // while it holds the agent row this suspension waits for next (FOR UPDATE here deadlocked
    // with those).
    return this.withLiveSeatsOf(em, agentId, 'FOR NO KEY UPDATE');
  }

  /**
   * The same shifts as lockWithLiveSeatsOf, read without a lock; with `certifiedOnlyOf`, only
   * that company's shifts that require its certification (what a revocation ends).
   */
  async withLiveSeatsOf(
    em: EntityManager,
    agentId: string,
    lock = '',
    certifiedOnlyOf: string | null = null,
  ): Promise<string[]> {
    const rows: IdRow[] = await em.query(
      `SELECT s.id FROM shifts s
        WHERE s.id IN (SELECT shift_id FROM shift_claims
                        WHERE agent_id = $1 AND status = ANY($2)
                          AND upper(period) > now())
          AND ($3::uuid IS NULL OR (s.company_id = $3 AND s.requires_certification))
        ORDER BY s.id ${lock}`,
      [agentId, ACTIVE_CLAIM_STATUSES, certifiedOnlyOf],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Locks the company's certified-only shifts on which the agent holds a seat that has not
   * ended, in id order (the lock order of lockWithLiveSeatsOf, and for its reason).
   */
  lockCertifiedWithLiveSeatsOf(
    em: EntityManager,
    agentId: string,
    companyId: string,
  ): Promise<string[]> {
    return this.withLiveSeatsOf(em, agentId, 'FOR NO KEY UPDATE', companyId);
  }
}
