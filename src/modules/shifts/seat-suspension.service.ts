import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { changedRows } from '../../database/sql';
import { ShiftWaitlistService } from './shift-waitlist.service';

/** What a suspension does to an agent's seats (the agents module drives the use case). */
@Injectable()
export class SeatSuspension {
  private readonly logger = new Logger(SeatSuspension.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly waitlist: ShiftWaitlistService,
  ) {}

  /**
   * Locks the shifts of the agent's active seats that have not ended, in id order, and returns
   * them: shift rows come before the agent's row in every transaction (ADR 0004).
   */
  async lockShiftsOf(em: EntityManager, agentId: string): Promise<string[]> {
    const rows: { id: string }[] = await em.query(
      `SELECT s.id FROM shifts s
        WHERE s.id IN (SELECT shift_id FROM shift_claims
                        WHERE agent_id = $1 AND status IN ('claimed', 'checked_in')
                          AND upper(period) > now())
        ORDER BY s.id FOR UPDATE`,
      [agentId],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Cancels the agent's seats on those shifts (claimed or checked in, not ended), frees them and
   * takes the agent off every waitlist. Not a late cancellation: the agent did not choose it.
   */
  async cancelSeats(em: EntityManager, agentId: string, shiftIds: string[]): Promise<string[]> {
    const cancelled = await changedRows<{ shift_id: string }>(
      em,
      `UPDATE shift_claims SET status = 'cancelled', cancelled_at = now(),
              cancelled_by = 'suspension'
        WHERE agent_id = $1 AND shift_id = ANY($2) AND status IN ('claimed', 'checked_in')
        RETURNING shift_id`,
      [agentId, shiftIds],
    );
    const freed = cancelled.map((c) => c.shift_id);
    await em.query(
      `UPDATE shifts SET seats_taken = seats_taken - 1, updated_at = now() WHERE id = ANY($1)`,
      [freed],
    );
    await em.query('DELETE FROM shift_waitlist WHERE agent_id = $1', [agentId]);
    return freed;
  }

  /**
   * Offers freed seats to the waitlists, each shift in its own transaction after the suspension
   * committed (a promotion locks waiting agents' rows, which must not wait behind the suspended
   * agent's). Best effort: a seat left free stays open to direct claims.
   */
  async offerFreedSeats(shiftIds: string[]): Promise<void> {
    for (const shiftId of shiftIds) {
      await this.db
        .transaction((em) => this.waitlist.promote(em, shiftId))
        .catch((e: unknown) =>
          this.logger.warn({ shiftId, err: (e as Error).message }, 'waitlist promotion failed'),
        );
    }
  }
}
