import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { changedRows } from '../../database/sql';
import { ACTIVE_CLAIM_STATUSES } from './shift-rules';

interface ClaimShiftRow {
  shift_id: string;
}

/**
 * Seats of shift_claims ended by something other than their agent, several at once: the
 * shift's end, the company's cancellation, a revoked certification, a suspension.
 */
@Injectable()
export class ShiftClaimEndingsRepository {
  /**
   * At the shift's end, or its cancellation: checked-in seats whose time has begun complete,
   * checked out at the end (or now, for a cancellation) if not before. (Before its start a seat
   * worked nothing: a cancellation cancels it.) The database's clock decides, per seat. A
   * cancellation says so on the seat (`cancelled_by = 'company'`: the agent's seat shows who
   * ended it before its time).
   */
  async completeCheckedIn(
    em: EntityManager,
    shiftId: string,
    endedBy: 'company' | null = null,
  ): Promise<string[]> {
    const rows = await changedRows<{ agent_id: string }>(
      em,
      `UPDATE shift_claims c SET status = 'completed', completed_at = now(),
              checked_out_at = coalesce(c.checked_out_at, least(now(), upper(c.period))),
              cancelled_by = coalesce($2, c.cancelled_by)
        WHERE c.shift_id = $1 AND c.status = 'checked_in' AND lower(c.period) <= now()
        RETURNING c.agent_id`,
      [shiftId, endedBy],
    );
    return rows.map((r) => r.agent_id);
  }

  /** At the shift's end: seats never checked into are no-shows. Returns how many. */
  async markUncheckedNoShows(em: EntityManager, shiftId: string): Promise<number> {
    const noShows = await changedRows(
      em,
      `UPDATE shift_claims SET status = 'no_show', no_show_at = now()
        WHERE shift_id = $1 AND status = 'claimed' RETURNING id`,
      [shiftId],
    );
    return noShows.length;
  }

  /**
   * Seats whose check-in deadline passed unchecked, their no-show job not run yet (it runs
   * behind, or the workers were down): no-shows, as that job would record. Returns how many.
   */
  async markOverdueNoShows(em: EntityManager, shiftId: string): Promise<number> {
    const overdue = await changedRows(
      em,
      `UPDATE shift_claims SET status = 'no_show', no_show_at = now()
        WHERE shift_id = $1 AND status = 'claimed' AND check_in_deadline <= now() RETURNING id`,
      [shiftId],
    );
    return overdue.length;
  }

  /** Releases every active seat of the shift the company cancelled; whose they were. */
  async cancelAllOnShift(em: EntityManager, shiftId: string): Promise<string[]> {
    const released = await changedRows<{ agent_id: string }>(
      em,
      `UPDATE shift_claims SET status = 'cancelled', cancelled_at = now(), cancelled_by = 'company'
        WHERE shift_id = $1 AND status = ANY($2) RETURNING agent_id`,
      [shiftId, ACTIVE_CLAIM_STATUSES],
    );
    return released.map((r) => r.agent_id);
  }

  /**
   * The company revoked the agent's certification: its seats on those (certified-only) shifts
   * end at once. A seat worked since its time began ends as a check-out now would: `left_early`
   * before checkOutCompletesAt (`closeMinutes` before the end, and not before half the seat's
   * own time, from a late check-in if there was one),
   * so the seat can be given again, marked `cancelled_by = 'company'` (the company ended it: not counted
   * against the agent); `completed` after (also marked as ended by the company). One checked in early, or claimed and not yet due, is
   * cancelled by the company (never late). A claimed seat past its check-in deadline is left to
   * the no-show job: the revocation must not wipe a missed check-in off the record. Returns the
   * shifts whose seat was worked (its tickets go back after the grace) and those whose seat is
   * free again.
   */
  async endForRevocation(
    em: EntityManager,
    agentId: string,
    shiftIds: string[],
    closeMinutes: number,
  ): Promise<{ worked: string[]; freed: string[] }> {
    const left = await changedRows<ClaimShiftRow>(
      em,
      `UPDATE shift_claims c SET status = 'left_early', checked_out_at = now(),
              cancelled_by = 'company'
         FROM shifts s
        WHERE s.id = c.shift_id AND c.agent_id = $1 AND c.shift_id = ANY($2)
          AND c.status = 'checked_in' AND now() >= lower(c.period) AND upper(c.period) > now()
          AND now() < s.ends_at - least(make_interval(mins => $3),
                                        (s.ends_at - greatest(s.starts_at, lower(c.period),
                                                                c.checked_in_at)) / 2)
        RETURNING c.shift_id`,
      [agentId, shiftIds, closeMinutes],
    );
    const completed = await changedRows<ClaimShiftRow>(
      em,
      `UPDATE shift_claims SET status = 'completed', checked_out_at = least(now(), upper(period)),
              completed_at = now(), cancelled_by = 'company'
        WHERE agent_id = $1 AND shift_id = ANY($2) AND status = 'checked_in'
          AND now() >= lower(period) AND upper(period) > now()
        RETURNING shift_id`,
      [agentId, shiftIds],
    );
    const cancelled = await changedRows<ClaimShiftRow>(
      em,
      `UPDATE shift_claims SET status = 'cancelled', cancelled_at = now(), cancelled_by = 'company'
        WHERE agent_id = $1 AND shift_id = ANY($2) AND upper(period) > now()
          AND (status = 'checked_in' OR (status = 'claimed' AND check_in_deadline > now()))
        RETURNING shift_id`,
      [agentId, shiftIds],
    );
    const ids = (rows: ClaimShiftRow[]) => rows.map((r) => r.shift_id);
    return {
      worked: [...ids(left), ...ids(completed)],
      freed: [...ids(left), ...ids(cancelled)],
    };
  }

  /**
   * The agent was suspended: its held seats on those shifts are cancelled. Returns the shifts.
   * Not a seat whose check-in deadline passed unchecked: it is the no-show it already was, and
   * its timer marks it (a suspension must not erase the mark, as a revocation does not). A
   * checked-in seat keeps the time worked (`checked_out_at`), which the weekly cap counts.
   */
  async cancelForSuspension(
    em: EntityManager,
    agentId: string,
    shiftIds: string[],
  ): Promise<string[]> {
    const cancelled = await changedRows<ClaimShiftRow>(
      em,
      `UPDATE shift_claims SET status = 'cancelled', cancelled_at = now(),
              cancelled_by = 'suspension',
              checked_out_at = CASE WHEN status = 'checked_in'
                                    THEN greatest(lower(period), least(now(), upper(period))) END
        WHERE agent_id = $1 AND shift_id = ANY($2) AND status = ANY($3)
          AND NOT (status = 'claimed' AND check_in_deadline <= now())
        RETURNING shift_id`,
      [agentId, shiftIds, ACTIVE_CLAIM_STATUSES],
    );
    return cancelled.map((c) => c.shift_id);
  }
}
