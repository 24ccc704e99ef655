import type { Schemas } from '../../api/client';

type Seat = Schemas['ShiftClaimDto'];

/** When check-in opens (the API's CHECK_IN_OPENS_MINUTES before the start), as epoch ms. */
export function checkInOpensAt(seat: Seat): number {
  return new Date(seat.checkInOpensAt).getTime();
}

/** Whether cancelling now counts against reliability (the API's late window has begun). */
export function cancellingIsLate(seat: Seat, now: number): boolean {
  return now >= new Date(seat.lateCancelStartsAt).getTime();
}

export const STATUS_LABELS: Record<Seat['status'], string> = {
  claimed: 'Claimed',
  checked_in: 'Checked in',
  completed: 'Completed',
  left_early: 'Left early',
  cancelled: 'Cancelled',
  no_show: 'No-show',
};

export const STATUS_COLORS: Record<Seat['status'], string> = {
  claimed: 'blue',
  checked_in: 'green',
  completed: 'gray',
  left_early: 'orange',
  cancelled: 'gray',
  no_show: 'red',
};

/**
 * A seat the waitlist gave inside the late-cancellation window: the API then puts its
 * lateCancelStartsAt at the end (giving it back is never late), and neither a no-show nor
 * leaving it early counts against its agent.
 */
export function givenLate(seat: Seat): boolean {
  return seat.source === 'waitlist' && seat.lateCancelStartsAt === seat.endsAt;
}

/** Whether checking out now is leaving early (the API's checkOutCompletesAt has not come). */
export function checkingOutIsEarly(seat: Seat, now: number): boolean {
  return now < new Date(seat.checkOutCompletesAt).getTime();
}
