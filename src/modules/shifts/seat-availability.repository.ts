import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { changedRows } from '../../database/sql';
import type { SeatAvailability, ShiftRouting } from './shift-rules';

/** A checked-in seat on a live shift, with its availability and time-away account. */
export interface LiveSeatRow {
  id: string;
  shift_id: string;
  company_id: string;
  routing: ShiftRouting;
  availability: SeatAvailability;
  /** When availability last changed (check-in time until it first does). */
  since: Date;
  /** Whole seconds away, the running break included. */
  away_seconds: number;
  max_away_minutes: number | null;
  away_reason: string | null;
  shift_ends_at: Date;
}

/**
 * When the running break began to count for seat `c`: not before the seat's time (an agent
 * checked in early, or carried away from the seat before, was on no shift of this seat's yet).
 */
export const AWAY_COUNTS_FROM = (c: string) =>
  `greatest(coalesce(${c}.availability_changed_at, ${c}.checked_in_at), lower(${c}.period))`;

const SEAT_COLUMNS = `c.id, c.shift_id, c.company_id, s.routing, c.availability,
  coalesce(c.availability_changed_at, c.checked_in_at) AS since,
  (c.away_seconds + CASE WHEN c.availability = 'away'
     THEN greatest(0, floor(extract(epoch FROM now() - ${AWAY_COUNTS_FROM('c')})))::int
     ELSE 0 END) AS away_seconds,
  s.max_away_minutes, c.away_reason, s.ends_at AS shift_ends_at`;

/** Availability of checked-in seats (issue 15): on shift_claims, owned here. */
@Injectable()
export class SeatAvailabilityRepository {
  /** The agent's checked-in seat on a shift live now, locked; at most one (no overlap). */
  async lockLiveSeat(em: EntityManager, agentId: string): Promise<LiveSeatRow | undefined> {
    const [row]: LiveSeatRow[] = await em.query(
      `SELECT ${SEAT_COLUMNS} FROM shift_claims c JOIN shifts s ON s.id = c.shift_id
        WHERE c.agent_id = $1 AND c.status = 'checked_in' AND s.status = 'scheduled'
          AND s.starts_at <= now() AND s.ends_at > now()
        LIMIT 1 FOR NO KEY UPDATE OF c`,
      [agentId],
    );
    return row;
  }

  /**
   * With no seat live now: the agent's next seat checked into early (its shift not started),
   * locked; a break carried onto it from a shift that has ended is ended there.
   */
  async lockNextSeat(em: EntityManager, agentId: string): Promise<LiveSeatRow | undefined> {
    const [row]: LiveSeatRow[] = await em.query(
      `SELECT ${SEAT_COLUMNS} FROM shift_claims c JOIN shifts s ON s.id = c.shift_id
        WHERE c.agent_id = $1 AND c.status = 'checked_in' AND s.status = 'scheduled'
          AND s.starts_at > now()
        ORDER BY s.starts_at LIMIT 1 FOR NO KEY UPDATE OF c`,
      [agentId],
    );
    return row;
  }

  /**
   * Sets the availability of the agent's checked-in seats whose shift has not ended: the live
   * one, and one checked into early for the shift that follows, so a break taken at the end of
   * one shift carries into the next. Coming back from away adds the break to away_seconds,
   * counted only within each seat's time (SET reads the row as it was); a repeat of the current
   * state changes nothing.
   */
  async set(
    em: EntityManager,
    agentId: string,
    status: SeatAvailability,
    reason: string | null,
  ): Promise<void> {
    await changedRows(
      em,
      `UPDATE shift_claims c SET
         away_seconds = c.away_seconds + CASE WHEN c.availability = 'away' AND $2 = 'available'
           THEN greatest(0, floor(extract(epoch FROM now() - ${AWAY_COUNTS_FROM('c')})))::int
           ELSE 0 END,
         availability_changed_at = CASE WHEN c.availability = $2
           THEN coalesce(c.availability_changed_at, c.checked_in_at) ELSE now() END,
         away_reason = CASE WHEN $2 = 'away' THEN $3 ELSE NULL END,
         availability = $2
        FROM shifts s
       WHERE s.id = c.shift_id AND c.agent_id = $1 AND c.status = 'checked_in'
         AND s.status = 'scheduled' AND s.ends_at > now() RETURNING c.id`,
      [agentId, status, reason],
    );
  }

  async seat(em: EntityManager, seatId: string): Promise<LiveSeatRow> {
    const [row]: LiveSeatRow[] = await em.query(
      `SELECT ${SEAT_COLUMNS} FROM shift_claims c JOIN shifts s ON s.id = c.shift_id
        WHERE c.id = $1`,
      [seatId],
    );
    return row;
  }
}
