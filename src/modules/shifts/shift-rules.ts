/*
 * The shift and seat-claim state machines and the status lists derived from them, written once.
 * The database enforces the same tables (the CHECK constraints ck_shifts_status and
 * ck_shift_claims_status, the triggers trg_shifts_transition and trg_shift_claims_transition,
 * the predicate of ex_shift_claims_agent_overlap); test/shift-rules.e2e-spec.ts reads them from
 * the database and fails when either side changes alone. SQL gets these lists as parameters
 * (`status = ANY($n)`), or as literals rendered from them (status-sql.ts) on the seat-claim path.
 */

/** Shift states: a scheduled shift ends once, completed or cancelled. */
export const SHIFT_TRANSITIONS = {
  scheduled: ['completed', 'cancelled'],
  completed: [],
  cancelled: [],
} as const satisfies Record<string, readonly string[]>;

export type ShiftStatus = keyof typeof SHIFT_TRANSITIONS;
export const SHIFT_STATUSES = Object.keys(SHIFT_TRANSITIONS) as ShiftStatus[];

/** Claim states and the moves between them. */
export const CLAIM_TRANSITIONS = {
  claimed: ['checked_in', 'cancelled', 'no_show'],
  // left_early: checked out while the seat could still go to someone else (ShiftClaimsService).
  checked_in: ['completed', 'left_early', 'cancelled'],
  completed: [],
  left_early: [],
  cancelled: [],
  no_show: [],
} as const satisfies Record<string, readonly string[]>;

export type ClaimStatus = keyof typeof CLAIM_TRANSITIONS;
export const CLAIM_STATUSES = Object.keys(CLAIM_TRANSITIONS) as ClaimStatus[];
/** Claims that hold a seat and block overlapping shifts. */
export const ACTIVE_CLAIM_STATUSES: readonly ClaimStatus[] = ['claimed', 'checked_in'];
/** Claims that use a seat (counted in shifts.seats_taken). */
export const SEAT_USING_STATUSES: readonly ClaimStatus[] = ['claimed', 'checked_in', 'completed'];
/**
 * Claims after which the agent may not take a seat on the same shift again: one seat per agent
 * and shift, so a seat left early is not taken back (it went to the waitlist) nor counted twice.
 */
export const ONCE_PER_SHIFT_STATUSES: readonly ClaimStatus[] = [
  ...SEAT_USING_STATUSES,
  'left_early',
];

export const MIN_SHIFT_MINUTES = 15;
/** Below this a few seconds late is a no-show; validated on input only (older rows may be less). */
export const MIN_CHECK_IN_GRACE_MINUTES = 2;
/**
 * The grace a new seat gets: the shift's; for a seat held from after the start (taken late, or
 * given from the waitlist), never under the minimum, whatever an older row holds. Such a seat
 * of a shift stored with a 0 grace was due at the instant it was made: a no-show its agent
 * could not avoid. (A seat held from the start can check in before it.)
 */
export const seatGraceMinutes = (
  shift: { checkInGraceMinutes: number; startsAt: Date },
  heldFrom: Date = new Date(),
) =>
  heldFrom.getTime() > shift.startsAt.getTime()
    ? Math.max(shift.checkInGraceMinutes, MIN_CHECK_IN_GRACE_MINUTES)
    : shift.checkInGraceMinutes;
/**
 * A seat the waitlist gave inside the late-cancel window (`lateMinutes` before the seat's start,
 * or after it): its agent did not pick that moment, so giving it back is never late and missing
 * its check-in does not count against reliability. The one rule in TypeScript (the seat's view,
 * the `shift.seat_given` event); GIVEN_LATE (shift-claims.repository) is its SQL twin.
 */
export function givenLate(
  seat: { source: string; claimedAt: Date; heldFrom: Date },
  lateMinutes: number,
): boolean {
  return (
    seat.source === 'waitlist' &&
    seat.claimedAt.getTime() > seat.heldFrom.getTime() - lateMinutes * 60_000
  );
}
export const MAX_SHIFT_MINUTES = 12 * 60;
export const MAX_WAITLIST = 200;
export const RELIABILITY_WINDOW_DAYS = 30;
/**
 * Reliability is smoothed like quality: the platform's mean weighs as this many seats, so one
 * missed seat of a new agent does not set its score to 0.
 */
export const RELIABILITY_PRIOR_WEIGHT = 10;

/** How a shift's agents get tickets (issue 15): pull stays the API default. */
export const SHIFT_ROUTINGS = ['pull', 'push'] as const;
export type ShiftRouting = (typeof SHIFT_ROUTINGS)[number];

/** A checked-in seat's availability for offers: away is a break (held tickets stay). */
export const SEAT_AVAILABILITIES = ['available', 'away'] as const;
export type SeatAvailability = (typeof SEAT_AVAILABILITIES)[number];
