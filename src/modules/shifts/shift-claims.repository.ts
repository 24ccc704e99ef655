import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { changedRows } from '../../database/sql';
import { Shift } from './shift.entity';
import { ACTIVE_CLAIM_STATUSES, ONCE_PER_SHIFT_STATUSES, seatGraceMinutes } from './shift-rules';
import { IdRow } from './shift.rows';
import { ONE_SEAT_PER_SHIFT, sqlList } from './status-sql';

/**
 * SQL: claim `c` is a seat the waitlist gave inside the late window (`lateMinutes` before its
 * start, or after it). Its agent did not pick that moment, so giving it back is never late and
 * missing its check-in does not count against reliability. The SQL twin of givenLate()
 * (shift-rules.ts): change both or neither.
 */
export const GIVEN_LATE = (c: string, lateMinutes: string) =>
  `(${c}.source = 'waitlist' AND ${c}.claimed_at > lower(${c}.period) - make_interval(mins => ${lateMinutes}))`;

// The seat-claim path (shift-race benchmark) keeps literal lists, rendered from shift-rules.ts.
const ACTIVE = sqlList(ACTIVE_CLAIM_STATUSES);
const ONCE_PER_SHIFT = sqlList(ONCE_PER_SHIFT_STATUSES);
const ONE_SEAT = ONE_SEAT_PER_SHIFT('c', `IN ${ONCE_PER_SHIFT}`);

export type SeatSource = 'direct' | 'waitlist';

export interface NewClaimRow {
  id: string;
  check_in_deadline: Date;
}

/** The fullest 168-hour window touching a seat: the hours held in it and the seat's share. */
export interface WeekWindowRow {
  window_start: Date;
  held: number;
  seat: number;
}

export interface CancelStateRow {
  status: string;
  missed: boolean;
  /** The seat's time has begun (the shift's start, or the claim for a seat taken after it). */
  started: boolean;
}

export interface LatestClaimRow {
  id: string;
  status: string;
  check_in_deadline: Date;
  started: boolean;
  /** When the seat's time began: the shift's start, or the claim for a seat taken after it. */
  held_from: Date;
  checked_in_at: Date | null;
}

export interface NoShowStateRow {
  status: string;
  due: boolean;
  deadline: Date;
}

interface ClaimShiftRow {
  shift_id: string;
}

/** The shift_claims table: seats taken, given back, checked into and out of. */
@Injectable()
export class ShiftClaimsRepository {
  /**
   * The agent's seat on the shift that counts against taking another: claimed, checked in, or
   * worked (completed, or left early). One seat per agent and shift: a second after checking out
   * would take a seat from another agent and count as a second completed seat. (Not a worked seat
   * a revoked certification ended early: ONE_SEAT_PER_SHIFT.) Callers hold the shift's lock.
   */
  seatTakenId(em: EntityManager, shiftId: string, agentId: string) {
    return this.claimIn(em, shiftId, agentId, ONE_SEAT);
  }

  /** The agent's seat on the shift, claimed or checked in, if any. */
  activeClaimId(em: EntityManager, shiftId: string, agentId: string) {
    return this.claimIn(em, shiftId, agentId, `c.status IN ${ACTIVE}`);
  }

  private async claimIn(em: EntityManager, shiftId: string, agentId: string, which: string) {
    const [row]: IdRow[] = await em.query(
      `SELECT c.id FROM shift_claims c WHERE c.shift_id = $1 AND c.agent_id = $2 AND ${which}`,
      [shiftId, agentId],
    );
    return row?.id ?? null;
  }

  /**
   * The seat, held from `heldFrom` (the start, or the claim when taken after it) to the end:
   * the period the overlap exclusion and the weekly hours see, and the check-in deadline's base.
   */
  async insert(
    em: EntityManager,
    shift: Pick<Shift, 'id' | 'companyId' | 'startsAt' | 'endsAt' | 'checkInGraceMinutes'>,
    agentId: string,
    source: SeatSource,
    heldFrom: Date,
  ): Promise<NewClaimRow> {
    const [claim]: NewClaimRow[] = await em.query(
      `INSERT INTO shift_claims (shift_id, agent_id, company_id, period, source, check_in_deadline)
       VALUES ($1, $2, $3, tstzrange($4, $5, '[)'), $6,
               -- A seat taken late in the shift: its grace cannot outlast the shift, whose end
               -- is when check-in closes and the no-show is recorded.
               least($4::timestamptz + make_interval(mins => $7), $5::timestamptz))
       RETURNING id, check_in_deadline`,
      [
        shift.id,
        agentId,
        shift.companyId,
        heldFrom,
        shift.endsAt,
        source,
        seatGraceMinutes(shift, heldFrom),
      ],
    );
    return claim;
  }

  /**
   * The 168-hour window, among those touching the seat [startsAt, endsAt), holding the most
   * seat hours with the seat added. The seat hours in a window are piecewise linear in its
   * start, so the fullest window starts at a breakpoint: a seat's start or end, or 168 hours
   * before one. Only windows touching the new seat can newly break the cap.
   */
  async fullestWeekAround(
    em: EntityManager,
    agentId: string,
    startsAt: Date,
    endsAt: Date,
  ): Promise<WeekWindowRow> {
    const [worst]: WeekWindowRow[] = await em.query(
      // A seat left early counts to its check-out: leaving 31 minutes before each end must not
      // free a week's cap for more seats than the hours it held. So does a worked seat the
      // company ended early (`cancelled_by`: it cancelled the shift, revoked a certification):
      // the hours it took away are the agent's to fill again. A worked seat a suspension
      // cancelled counts to its check-out too: reinstated, the agent does not get them back.
      `WITH held AS (
         SELECT lower(period) AS s,
                CASE WHEN status = 'left_early' OR cancelled_by IS NOT NULL
                     THEN least(checked_out_at, upper(period))
                     ELSE upper(period) END AS e
           FROM shift_claims
          WHERE agent_id = $1
            AND (status IN ${ONCE_PER_SHIFT}
                 OR (status = 'cancelled' AND cancelled_by = 'suspension'
                     AND checked_out_at > lower(period)))
            AND period && tstzrange($2::timestamptz - interval '168 hours',
                                    $3::timestamptz + interval '168 hours')),
       seats AS (SELECT s, e FROM held UNION ALL SELECT $2::timestamptz, $3::timestamptz),
       starts AS (
         SELECT DISTINCT t FROM seats,
                LATERAL (VALUES (s), (e), (s - interval '168 hours'), (e - interval '168 hours')) v(t)
          WHERE t >= $2::timestamptz - interval '168 hours' AND t <= $3::timestamptz)
       SELECT * FROM (
       SELECT w.t AS window_start,
              -- (least/greatest skip NULLs: a window with no held seat must not count itself)
              coalesce(sum(extract(epoch FROM least(h.e, w.t + interval '168 hours')
                                            - greatest(h.s, w.t))) FILTER (WHERE h.s IS NOT NULL),
                       0)::float8 / 3600 AS held,
              extract(epoch FROM least($3::timestamptz, w.t + interval '168 hours')
                               - greatest($2::timestamptz, w.t))::float8 / 3600 AS seat
         FROM starts w
         LEFT JOIN held h ON h.s < w.t + interval '168 hours' AND h.e > w.t
        GROUP BY w.t) scored
        ORDER BY held + seat DESC, window_start LIMIT 1`,
      [agentId, startsAt, endsAt],
    );
    return worst;
  }

  async cancelState(em: EntityManager, claimId: string): Promise<CancelStateRow> {
    const [claim]: CancelStateRow[] = await em.query(
      `SELECT status, check_in_deadline <= now() AS missed, now() >= lower(period) AS started
         FROM shift_claims WHERE id = $1`,
      [claimId],
    );
    return claim;
  }

  /** The seat's check-in deadline. */
  async deadlineOf(em: EntityManager, claimId: string): Promise<Date> {
    const [row]: { check_in_deadline: Date }[] = await em.query(
      'SELECT check_in_deadline FROM shift_claims WHERE id = $1',
      [claimId],
    );
    return row.check_in_deadline;
  }

  /**
   * The agent gives the seat back; inside the late window it counts as a late cancellation,
   * unless the waitlist gave the seat inside that window (GIVEN_LATE: the agent never had the
   * chance to give it back in time).
   */
  async markCancelledByAgent(em: EntityManager, claimId: string, lateMinutes: number) {
    await em.query(
      `UPDATE shift_claims c
          SET status = 'cancelled', cancelled_at = now(), cancelled_by = 'agent',
              late_cancellation = now() > lower(c.period) - make_interval(mins => $2)
                                  AND NOT ${GIVEN_LATE('c', '$2')}
        WHERE c.id = $1`,
      [claimId, lateMinutes],
    );
  }

  /** Checks in a claimed seat before its deadline; false when it was not. */
  async markCheckedIn(em: EntityManager, claimId: string): Promise<boolean> {
    const updated = await changedRows(
      em,
      `UPDATE shift_claims SET status = 'checked_in', checked_in_at = now()
        WHERE id = $1 AND status = 'claimed' AND check_in_deadline > now() RETURNING id`,
      [claimId],
    );
    if (updated.length === 0) return false;
    // Checked in early for the next shift while on a break on the live one: the break carries
    // (its time counts from this seat's start: AWAY_COUNTS_FROM).
    await em.query(
      `UPDATE shift_claims c SET availability = 'away', away_reason = live.away_reason,
              availability_changed_at = now()
         FROM shift_claims live JOIN shifts s ON s.id = live.shift_id
        WHERE c.id = $1 AND live.agent_id = c.agent_id AND live.id <> c.id
          AND live.status = 'checked_in' AND live.availability = 'away'
          AND s.status = 'scheduled' AND s.starts_at <= now() AND s.ends_at > now()`,
      [claimId],
    );
    return true;
  }

  /**
   * Checks the seat out: `completed`, or `left_early` when it is before `leftEarlyBefore`
   * (checkOutCompletesAt). Returns the new status, or null when the seat was not checked in or
   * its time had not begun. A check-out after the end (the completion job behind) counts to the
   * end, as the job would: worked time and a running break stop there.
   */
  async markCheckedOut(
    em: EntityManager,
    claimId: string,
    leftEarlyBefore: Date,
  ): Promise<'completed' | 'left_early' | null> {
    const [updated] = await changedRows<{ status: 'completed' | 'left_early' }>(
      em,
      `UPDATE shift_claims
          SET status = CASE WHEN now() < $2 THEN 'left_early' ELSE 'completed' END,
              checked_out_at = least(now(), upper(period)),
              completed_at = CASE WHEN now() < $2 THEN NULL ELSE now() END
        WHERE id = $1 AND status = 'checked_in' AND now() >= lower(period) RETURNING status`,
      [claimId, leftEarlyBefore],
    );
    return updated?.status ?? null;
  }

  /**
   * The seat the agent holds on the shift, else its latest claim there whatever its status.
   * Held first, not by time alone: `claimed_at` is its transaction's start, and a seat given by
   * a transaction that began before the agent's cancelled seat committed (a promotion inside a
   * shift edit that waited on a lock) is older than that cancelled one.
   */
  async latestOf(
    em: EntityManager,
    shiftId: string,
    agentId: string,
  ): Promise<LatestClaimRow | undefined> {
    const [row]: LatestClaimRow[] = await em.query(
      `SELECT id, status, check_in_deadline, now() >= lower(period) AS started,
              lower(period) AS held_from, checked_in_at
         FROM shift_claims WHERE shift_id = $1 AND agent_id = $2
        ORDER BY status = ANY($3) DESC, claimed_at DESC LIMIT 1`,
      [shiftId, agentId, ACTIVE_CLAIM_STATUSES],
    );
    return row;
  }

  async shiftOf(em: EntityManager, claimId: string): Promise<string | undefined> {
    const [claim]: ClaimShiftRow[] = await em.query(
      'SELECT shift_id FROM shift_claims WHERE id = $1',
      [claimId],
    );
    return claim?.shift_id;
  }

  async noShowState(em: EntityManager, claimId: string): Promise<NoShowStateRow> {
    const [state]: NoShowStateRow[] = await em.query(
      `SELECT status, check_in_deadline <= now() AS due, check_in_deadline AS deadline
         FROM shift_claims WHERE id = $1`,
      [claimId],
    );
    return state;
  }

  /** Marks a seat still only claimed a no-show; false if it is not (checked in, cancelled). */
  async markNoShow(em: EntityManager, claimId: string): Promise<boolean> {
    const [, affected]: [unknown, number] = await em.query(
      `UPDATE shift_claims SET status = 'no_show', no_show_at = now()
        WHERE id = $1 AND status = 'claimed'`,
      [claimId],
    );
    return affected === 1;
  }
}
