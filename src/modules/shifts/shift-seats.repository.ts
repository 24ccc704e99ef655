import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { changedRows } from '../../database/sql';

/**
 * Until when a seat can be taken, as minutes before the shift's end: direct claims close
 * SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END before it (never before the start: seat-window.ts), the
 * waitlist at the end (0).
 */
export type SeatCloseMinutes = number;

export interface FullnessRow {
  full: boolean;
  /** When claims closed, if they have (a claim would be refused SHIFT_CLOSED); else null. */
  closed_at: Date | null;
}

/** When claims on a shift close, with the minutes before the end as the query's $2. */
const CLAIMS_CLOSE_AT = 'greatest(starts_at, ends_at - make_interval(mins => $2))';

export interface SeatStateRow {
  scheduled: boolean;
  open: boolean;
  full: boolean;
  claims_close_at: Date;
}

/** A seat just taken: from when the agent holds it (the start, or now if it has passed). */
export interface SeatTakenRow {
  held_from: Date;
}

export interface CheckInWindowRow {
  status: string;
  opens_at: Date;
  ends_at: Date;
  open: boolean;
}

/**
 * A shift's seats as agents claim, check into and leave them: seats_taken within seats, and
 * the windows for a claim and a check-in.
 */
@Injectable()
export class ShiftSeatsRepository {
  /** Whether a scheduled shift is full, read without a lock (undefined: not scheduled or none). */
  async fullness(
    em: EntityManager,
    shiftId: string,
    closeMinutes: SeatCloseMinutes,
  ): Promise<FullnessRow | undefined> {
    const [seen]: FullnessRow[] = await em.query(
      `SELECT seats_taken >= seats AS full,
              CASE WHEN ${CLAIMS_CLOSE_AT} <= now() THEN ${CLAIMS_CLOSE_AT} END AS closed_at
         FROM shifts WHERE id = $1 AND status = 'scheduled'`,
      [shiftId, closeMinutes],
    );
    return seen;
  }

  /**
   * Takes a seat if one is free and claims are still open (see seat-window.ts); returns from
   * when the seat is held (the start, or now when taken after it), or null when none was taken.
   */
  async takeSeat(
    em: EntityManager,
    shiftId: string,
    closeMinutes: SeatCloseMinutes,
  ): Promise<Date | null> {
    const [taken] = await changedRows<SeatTakenRow>(
      em,
      `UPDATE shifts SET seats_taken = seats_taken + 1, updated_at = now()
        WHERE id = $1 AND status = 'scheduled' AND seats_taken < seats
          AND ${CLAIMS_CLOSE_AT} > now()
        RETURNING greatest(starts_at, now()) AS held_from`,
      [shiftId, closeMinutes],
    );
    return taken?.held_from ?? null;
  }

  async seatState(
    em: EntityManager,
    shiftId: string,
    closeMinutes: SeatCloseMinutes,
  ): Promise<SeatStateRow> {
    const [s]: SeatStateRow[] = await em.query(
      `SELECT status = 'scheduled' AS scheduled, status = 'scheduled' AND closes > now() AS open,
              seats_taken >= seats AS full, closes AS claims_close_at
         FROM shifts
        CROSS JOIN LATERAL (SELECT ${CLAIMS_CLOSE_AT} AS closes) c
        WHERE id = $1`,
      [shiftId, closeMinutes],
    );
    return s;
  }

  /** Gives one seat back (an agent's cancellation, a no-show). */
  async freeSeat(em: EntityManager, shiftId: string): Promise<void> {
    await em.query('UPDATE shifts SET seats_taken = seats_taken - 1 WHERE id = $1', [shiftId]);
  }

  /**
   * A share lock on the shift and its check-in window: check-ins proceed together, but not
   * through the middle of the shift's completion (which takes the row exclusively).
   */
  async lockForCheckIn(
    em: EntityManager,
    shiftId: string,
    opensMinutes: number,
  ): Promise<CheckInWindowRow | undefined> {
    const [shift]: CheckInWindowRow[] = await em.query(
      `SELECT status, starts_at - make_interval(mins => $2) AS opens_at, ends_at,
              now() >= starts_at - make_interval(mins => $2) AND now() < ends_at AS open
         FROM shifts WHERE id = $1 FOR SHARE`,
      [shiftId, opensMinutes],
    );
    return shift;
  }

  /**
   * The shift's window, its row locked FOR NO KEY UPDATE (a check-out that may give its seat
   * back): it keeps out seat claims and check-ins, but not the key-share locks an offer or a
   * ticket claim of the same agent takes on the row (their foreign key) while holding the
   * agent's row, which the check-out asks for next (FOR UPDATE here deadlocked with those).
   */
  async lockWindow(
    em: EntityManager,
    shiftId: string,
  ): Promise<{ startsAt: Date; endsAt: Date } | undefined> {
    const [row]: { starts_at: Date; ends_at: Date }[] = await em.query(
      'SELECT starts_at, ends_at FROM shifts WHERE id = $1 FOR NO KEY UPDATE',
      [shiftId],
    );
    return row && { startsAt: row.starts_at, endsAt: row.ends_at };
  }
}
