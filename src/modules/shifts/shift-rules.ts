/** Claim states and the moves between them (the database trigger enforces the same table). */
export const CLAIM_TRANSITIONS = {
  claimed: ['checked_in', 'cancelled', 'no_show'],
  checked_in: ['completed', 'cancelled'],
  completed: [],
  cancelled: [],
  no_show: [],
} as const;

export type ClaimStatus = keyof typeof CLAIM_TRANSITIONS;
/** Claims that hold a seat and block overlapping shifts. */
export const ACTIVE_CLAIM_STATUSES: ClaimStatus[] = ['claimed', 'checked_in'];
/** Claims that use a seat (counted in shifts.seats_taken). */
export const SEAT_USING_STATUSES: ClaimStatus[] = ['claimed', 'checked_in', 'completed'];

export const MIN_SHIFT_MINUTES = 15;
export const MAX_SHIFT_MINUTES = 12 * 60;
export const MAX_WAITLIST = 200;
export const RELIABILITY_WINDOW_DAYS = 30;
