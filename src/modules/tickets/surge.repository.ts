import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

/** A surge quote: the multiplier and the extra (minor units) it adds to the shift's rate. */
export interface SurgeQuote {
  multiplierBps: number;
  extraMinor: number;
}

/** No surge: the rate as it is. */
export const NO_SURGE: SurgeQuote = { multiplierBps: 10_000, extraMinor: 0 };

/**
 * Surge pay through the SQL functions of migration Surge (surge_quote, surge_committed,
 * surge_lock): one text of the rule, which write_ticket_claim also runs for every claim.
 */
@Injectable()
export class SurgeRepository {
  /**
   * What a claim on the shift would add now. `reserve`: the caller is about to fix the quote
   * (an offer), so the shift's surge lock is taken to the end of its transaction.
   */
  async quote(em: EntityManager, shiftId: string, reserve: boolean): Promise<SurgeQuote> {
    const [row]: { multiplier_bps: number; extra_minor: string }[] = await em.query(
      'SELECT * FROM surge_quote($1, $2)',
      [shiftId, reserve],
    );
    return { multiplierBps: row.multiplier_bps, extraMinor: Number(row.extra_minor) };
  }

  /** The shift's surge lock, to the end of the transaction. */
  async lock(em: EntityManager, shiftId: string): Promise<void> {
    await em.query('SELECT surge_lock($1)', [shiftId]);
  }

  /** The extras committed on the shift, after its surge lock when `lock`. */
  async committed(em: EntityManager, shiftId: string, lock: boolean): Promise<number> {
    // Two statements: one would read with a snapshot taken before the lock was granted.
    if (lock) await this.lock(em, shiftId);
    const [row]: { committed: string }[] = await em.query(
      'SELECT surge_committed($1) AS committed',
      [shiftId],
    );
    return Number(row.committed);
  }
}
