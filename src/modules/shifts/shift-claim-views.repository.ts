import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { GIVEN_LATE } from './shift-claims.repository';
import { AWAY_COUNTS_FROM } from './seat-availability.repository';
import { cursorInstant, KeyedRow } from '../../database/sql';
import { SeatHolderRow, ShiftClaimViewRow } from './shift.rows';

/**
 * A worked seat's time (completed, or left early): from check-in (or the seat's start, for one
 * checked in early, when no ticket can be taken yet) until checked out (or the seat completed),
 * less the time away (a break still running at the end counts up to it); null for other seats.
 */
export const WORKED_SECONDS = `CASE WHEN (c.status = 'completed' OR c.status = 'left_early')
                                    AND c.checked_in_at IS NOT NULL THEN
    greatest(0, extract(epoch FROM coalesce(c.checked_out_at, c.completed_at)
                                   - greatest(c.checked_in_at, lower(c.period)))
      - c.away_seconds
      - CASE WHEN c.availability = 'away'
          THEN greatest(0, extract(epoch FROM coalesce(c.checked_out_at, c.completed_at)
                 - ${AWAY_COUNTS_FROM('c')}))
          ELSE 0 END)::int
  END`;

/** The agent's view of its claims: everything about the seat and the shift it is on. */
export const CLAIM_VIEW_SQL = `
  SELECT c.id, c.shift_id, c.agent_id, c.company_id, s.title, s.starts_at, s.ends_at,
         c.status, c.source, c.check_in_deadline, lower(c.period) AS held_from, c.claimed_at, c.checked_in_at, c.checked_out_at,
         c.completed_at, c.cancelled_at, c.cancelled_by, c.late_cancellation, c.no_show_at,
         s.rate_amount_minor, s.rate_currency, ${WORKED_SECONDS} AS worked_seconds,
         CASE WHEN c.status = 'checked_in' THEN c.availability END AS availability
    FROM shift_claims c
    JOIN shifts s ON s.id = c.shift_id`;

/** The reliability counts of claims `c` (on shifts `s`) since `since`. */
const RELIABILITY_COUNTS = `
       count(*) FILTER (WHERE c.status = 'completed' AND c.completed_at > since)::int AS completed,
       count(*) FILTER (WHERE c.status = 'cancelled' AND c.cancelled_by = 'agent'
                          AND c.late_cancellation AND c.cancelled_at > since)::int AS late,
       count(*) FILTER (WHERE c.status = 'cancelled' AND c.cancelled_by = 'agent'
                          AND NOT c.late_cancellation AND c.cancelled_at > since)::int AS early,
       -- Not a seat the waitlist gave inside the late window: the agent did not pick that time.
       -- Checked out while the seat could still go to someone else: judged as a late cancel,
       -- unless the company ended it (a revocation) or the waitlist gave it inside the late
       -- window (the agent could not cancel it once checked in; a no-show would not count).
       count(*) FILTER (WHERE c.status = 'left_early' AND c.checked_out_at > since
                          AND c.cancelled_by IS NULL
                          AND NOT ${GIVEN_LATE('c', 'w.late_minutes')})::int AS left_early,
       count(*) FILTER (WHERE c.status = 'no_show' AND c.no_show_at > since
                          AND NOT ${GIVEN_LATE('c', 'w.late_minutes')})::int AS no_shows,
       -- A break still running when the seat completed counts up to its check-out: the
       -- agent's, or the shift's end (completeCheckedIn), not when that job happened to run.
       count(*) FILTER (WHERE c.status = 'completed' AND c.completed_at > since
                          AND s.max_away_minutes IS NOT NULL
                          AND c.away_seconds + CASE WHEN c.availability = 'away'
                                THEN greatest(0, extract(epoch FROM
                                       coalesce(c.checked_out_at, c.completed_at)
                                       - ${AWAY_COUNTS_FROM('c')}))
                                ELSE 0 END > s.max_away_minutes * 60)::int AS away_over_cap`;

export interface ReliabilityRow {
  completed: number;
  late: number;
  early: number;
  no_shows: number;
  /** Completed seats whose time away went past the shift's maxAwayMinutes. */
  away_over_cap: number;
  left_early: number;
}

/** The agent's next seat that can still be worked: checked in, or claimed and not yet missed. */
export interface NextSeatRow {
  shift_id: string;
  starts_at: Date;
  checked_in: boolean;
}

/** Reads of shift_claims for people: an agent's claims and record, a shift's seat holders. */
@Injectable()
export class ShiftClaimViewsRepository {
  async view(em: EntityManager, claimId: string): Promise<ShiftClaimViewRow | undefined> {
    const [row]: ShiftClaimViewRow[] = await em.query(`${CLAIM_VIEW_SQL} WHERE c.id = $1`, [
      claimId,
    ]);
    return row;
  }

  /**
   * Every seat the agent checked into on these shifts, whatever became of it since (completed,
   * left early, ended by a suspension or a revocation), with its check-in: what splits a
   * shift's tickets between its seats. A seat never checked into took no ticket.
   */
  workedSeatsOn(
    em: EntityManager,
    agentId: string,
    shiftIds: string[],
  ): Promise<{ id: string; shift_id: string; checked_in_at: Date }[]> {
    return em.query(
      `SELECT c.id, c.shift_id, c.checked_in_at FROM shift_claims c
        WHERE c.agent_id = $1 AND c.shift_id = ANY($2::uuid[]) AND c.checked_in_at IS NOT NULL`,
      [agentId, shiftIds],
    );
  }

  /** The agent's claims, newest shift first (keyset on the shift's start, claim id). */
  pageOfAgent(
    em: EntityManager,
    agentId: string,
    status: string | null,
    before: string[] | null,
    limit: number,
  ): Promise<KeyedRow<ShiftClaimViewRow>[]> {
    // The view's rows with the cursor's key: its own select list is shared by other reads.
    return em.query(
      `SELECT v.*, ${cursorInstant('v.starts_at')} FROM (${CLAIM_VIEW_SQL}
        WHERE c.agent_id = $1 AND ($2::text IS NULL OR c.status = $2)
          AND ($3::timestamptz IS NULL OR (s.starts_at, c.id) < ($3::timestamptz, $4::uuid))
        ORDER BY s.starts_at DESC, c.id DESC LIMIT $5) v
        ORDER BY v.starts_at DESC, v.id DESC`,
      [agentId, status, before?.[0] ?? null, before?.[1] ?? null, limit],
    );
  }

  /** Completed seats, late and early cancellations by the agent, no-shows, in the last days. */
  async reliabilityCounts(
    em: EntityManager,
    agentId: string,
    windowDays: number,
    lateMinutes: number,
  ): Promise<ReliabilityRow> {
    const [r]: ReliabilityRow[] = await em.query(
      `SELECT ${RELIABILITY_COUNTS}
         FROM shift_claims c JOIN shifts s ON s.id = c.shift_id,
              (SELECT now() - make_interval(hours => 24 * $2) AS since, $3::int AS late_minutes) w
        WHERE c.agent_id = $1`,
      [agentId, windowDays, lateMinutes],
    );
    return r;
  }

  /**
   * Every agent's seats in the last days together: those that count for reliability (completed
   * within the break cap) and those judged (completed, cancelled late, missed).
   */
  async platformReliability(
    em: EntityManager,
    windowDays: number,
    lateMinutes: number,
  ): Promise<{ good: number; judged: number }> {
    const [r]: ReliabilityRow[] = await em.query(
      `SELECT ${RELIABILITY_COUNTS}
         FROM shift_claims c JOIN shifts s ON s.id = c.shift_id,
              (SELECT now() - make_interval(hours => 24 * $1) AS since, $2::int AS late_minutes) w
        WHERE greatest(c.completed_at, c.cancelled_at, c.no_show_at, c.checked_out_at) > w.since`,
      [windowDays, lateMinutes],
    );
    return {
      good: r.completed - r.away_over_cap,
      judged: r.completed + r.late + r.no_shows + r.left_early,
    };
  }

  /**
   * Each company's worked seats (completed, or left early) since `since`: their worked seconds
   * together and the seats' shifts and agents, pairwise (for the expected hourly pay of its
   * open shifts: the resolutions of those agents on those shifts).
   */
  companyHistory(
    em: EntityManager,
    companyIds: string[],
    since: Date,
  ): Promise<
    { company_id: string; worked_seconds: number; shift_ids: string[]; agent_ids: string[] }[]
  > {
    return em.query(
      // float8: a large company's seats over the window pass an int's 68 years of seconds.
      `SELECT c.company_id, sum(${WORKED_SECONDS})::float8 AS worked_seconds,
              array_agg(c.shift_id ORDER BY c.id) AS shift_ids,
              array_agg(c.agent_id ORDER BY c.id) AS agent_ids
         FROM shift_claims c
        WHERE c.company_id = ANY($1::uuid[])
          AND ((c.status = 'completed' AND c.completed_at > $2)
               OR (c.status = 'left_early' AND c.checked_out_at > $2))
        GROUP BY c.company_id`,
      [companyIds, since],
    );
  }

  async heldSeatWith(em: EntityManager, agentId: string, companyId: string): Promise<boolean> {
    const [row]: unknown[] = await em.query(
      'SELECT 1 FROM shift_claims WHERE agent_id = $1 AND company_id = $2 LIMIT 1',
      [agentId, companyId],
    );
    return row !== undefined;
  }

  /** Every claim on the shift, current and past, oldest first. */
  seatHolders(em: EntityManager, shiftId: string): Promise<SeatHolderRow[]> {
    return em.query(
      `SELECT c.id AS "claimId", c.agent_id AS "agentId",
              c.status, c.source, c.claimed_at AS "claimedAt", c.checked_in_at AS "checkedInAt",
              c.checked_out_at AS "checkedOutAt", c.cancelled_at AS "cancelledAt",
              c.late_cancellation AS "lateCancellation", c.no_show_at AS "noShowAt"
         FROM shift_claims c
        WHERE c.shift_id = $1 ORDER BY c.claimed_at, c.id`,
      [shiftId],
    );
  }

  /**
   * The agent's soonest seat on a shift not yet ended (of one company, or any when `companyId`
   * is null): checked in, or claimed with its check-in deadline still ahead.
   */
  async nextSeatOf(
    em: EntityManager,
    agentId: string,
    companyId: string | null,
  ): Promise<NextSeatRow | undefined> {
    const [row]: NextSeatRow[] = await em.query(
      `SELECT s.id AS shift_id, s.starts_at, c.status = 'checked_in' AS checked_in
         FROM shift_claims c JOIN shifts s ON s.id = c.shift_id
        WHERE c.agent_id = $1 AND ($2::uuid IS NULL OR c.company_id = $2)
          AND (c.status = 'checked_in' OR (c.status = 'claimed' AND c.check_in_deadline > now()))
          AND s.status = 'scheduled' AND s.ends_at > now()
        ORDER BY s.starts_at, s.id LIMIT 1`,
      [agentId, companyId],
    );
    return row;
  }

  /**
   * The shift live now on which the agent is checked in (seats cannot overlap), if it is of the
   * same company as `shiftId` and pays in the same currency.
   */
  async liveShiftLike(em: EntityManager, agentId: string, shiftId: string): Promise<string | null> {
    const [live]: ClaimShiftRow[] = await em.query(
      `SELECT s.id AS shift_id
         FROM shift_claims sc JOIN shifts s ON s.id = sc.shift_id
         JOIN shifts was ON was.id = $2
        WHERE sc.agent_id = $1 AND sc.status = 'checked_in' AND s.company_id = was.company_id
          AND s.rate_currency = was.rate_currency
          AND s.status = 'scheduled' AND s.starts_at <= now() AND s.ends_at > now()`,
      [agentId, shiftId],
    );
    return live?.shift_id ?? null;
  }

  /** Every agent that held a seat on the company's shifts: seats completed, the latest seat. */
  companyAgents(em: EntityManager, companyId: string): Promise<CompanyAgentRow[]> {
    return em.query(
      `SELECT agent_id, count(*) FILTER (WHERE status = 'completed')::int AS seats_completed,
              max(lower(period)) AS last_seat_at
         FROM shift_claims WHERE company_id = $1 GROUP BY agent_id`,
      [companyId],
    );
  }
}

export interface CompanyAgentRow {
  agent_id: string;
  seats_completed: number;
  last_seat_at: Date;
}

interface ClaimShiftRow {
  shift_id: string;
}
