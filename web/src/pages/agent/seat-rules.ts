import type { Schemas } from '../../api/client';

type Seat = Schemas['ShiftClaimDto'];

/**
 * The API's defaults (CHECK_IN_OPENS_MINUTES, LATE_CANCEL_WINDOW_MINUTES). ShiftClaimDto does
 * not carry the resulting instants, so the console computes them; the API stays the judge (a
 * CHECK_IN_NOT_OPEN answer names its own opensAt, and a cancellation says if it was late).
 */
const CHECK_IN_OPENS_MINUTES = 15;
const LATE_CANCEL_WINDOW_MINUTES = 120;
const MINUTE = 60_000;

/**
 * When check-in opens: 15 minutes before the start. (A seat taken after that can be checked
 * into at once: it is already past this instant.)
 */
export function checkInOpensAt(seat: Seat): number {
  return new Date(seat.startsAt).getTime() - CHECK_IN_OPENS_MINUTES * MINUTE;
}

/** A cancellation now counts against reliability: inside 2 h of the start, or after it. */
export function cancellingIsLate(seat: Seat, now: number): boolean {
  const start = new Date(seat.startsAt).getTime();
  const claimedAfterStart = new Date(seat.claimedAt).getTime() >= start;
  return claimedAfterStart || now >= start - LATE_CANCEL_WINDOW_MINUTES * MINUTE;
}

export const STATUS_LABELS: Record<Seat['status'], string> = {
  claimed: 'Claimed',
  checked_in: 'Checked in',
  completed: 'Completed',
  cancelled: 'Cancelled',
  no_show: 'No-show',
};

export const STATUS_COLORS: Record<Seat['status'], string> = {
  claimed: 'blue',
  checked_in: 'green',
  completed: 'gray',
  cancelled: 'gray',
  no_show: 'red',
};
