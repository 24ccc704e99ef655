import { DomainError } from '../../common/errors/domain-error';
import { ClaimSeatDto } from './claim-seat.dto';
import { ShiftWithSkills } from './shift.rows';
import { MIN_CHECK_IN_GRACE_MINUTES } from './shift-rules';

/**
 * Until when a seat can be claimed directly: before the start always; after it, while at least
 * SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END of the shift remain (issue 13: a started shift with free
 * seats could not be joined). The later of the start and the end minus that. The seat SQL
 * (ShiftSeatsRepository.takeSeat, OpenShiftsRepository) states the same rule with the database's
 * clock: `greatest(starts_at, ends_at - make_interval(mins => …)) > now()`.
 */
export function claimsCloseAt(
  shift: { startsAt: Date; endsAt: Date },
  closeMinutesBeforeEnd: number,
): Date {
  return new Date(
    Math.max(shift.startsAt.getTime(), shift.endsAt.getTime() - closeMinutesBeforeEnd * 60_000),
  );
}

/**
 * Until when the waitlist gives seats, and may be joined: the later of when direct claims close
 * (until then a seat given is reachable, its deadline at most the end) and the last moment a
 * seat given then could still be checked into, the end minus a late seat's grace (the line
 * always closes after the start, so the grace is never below MIN_CHECK_IN_GRACE_MINUTES). After
 * that a place in line can never be served, so none is taken. The open-shifts SQL states the
 * same rule (OpenShiftsRepository, IN_OPEN_LINE).
 */
export function lineClosesAt(
  shift: { startsAt: Date; endsAt: Date; checkInGraceMinutes: number },
  closeMinutesBeforeEnd: number,
): Date {
  const lateGrace = Math.max(shift.checkInGraceMinutes, MIN_CHECK_IN_GRACE_MINUTES);
  return new Date(
    Math.max(
      shift.endsAt.getTime() - lateGrace * 60_000,
      claimsCloseAt(shift, closeMinutesBeforeEnd).getTime(),
    ),
  );
}

/**
 * From when a check-out completes the seat rather than leaving it early: the end minus
 * SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END, as claims close, but never before half the seat's own
 * time has passed: from the shift's start, from the claim for a seat taken after it, or from a
 * check-in later than both (inside its grace). On a shift of 30 minutes or less claims close at
 * its start, and a seat can be taken until they close, so a check-in and an immediate check-out
 * had counted as a seat worked (a completed seat weighs for its agent's reliability), and so had
 * a check-in at the end of its grace and straight out again (a 15-minute shift's 10 minutes of
 * grace passed half of it); the seat freed then still goes to the waitlist (it may fill a seat
 * until the end). The same as claimsCloseAt for a seat of an hour or more checked in on time.
 */
export function checkOutCompletesAt(
  shift: { endsAt: Date },
  seat: { heldFrom: Date; checkedInAt: Date | null },
  closeMinutesBeforeEnd: number,
): Date {
  const end = shift.endsAt.getTime();
  const from = Math.max(seat.heldFrom.getTime(), seat.checkedInAt?.getTime() ?? 0);
  const half = (end - from) / 2;
  return new Date(end - Math.min(closeMinutesBeforeEnd * 60_000, Math.max(half, 0)));
}

/** SHIFT_CLOSED for a shift whose claims have closed, with when they closed. */
export function claimsClosed(closedAt: Date): DomainError {
  return new DomainError(
    'SHIFT_CLOSED',
    `Claims on this shift closed at ${closedAt.toISOString()}`,
    {
      claimsCloseAt: closedAt,
    },
  );
}

/** ALREADY_CLAIMED: the agent holds, or has worked, a seat on the shift (one each). */
export function alreadyClaimed(): DomainError {
  return new DomainError(
    'ALREADY_CLAIMED',
    'You already hold (or have worked) a seat on this shift',
  );
}

/**
 * SHIFT_CHANGED when the shift is not as the agent was shown it (ClaimSeatDto): another window,
 * or a lower rate. Its details are the shift as it is, to show instead.
 */
export function assertAsSeen(shift: ShiftWithSkills, seen: ClaimSeatDto): void {
  const other = (given: string | undefined, is: Date) =>
    given !== undefined && Date.parse(given) !== is.getTime();
  const rate = seen.ratePerTicket;
  const changed = [
    ...(other(seen.startsAt, shift.startsAt) ? ['startsAt'] : []),
    ...(other(seen.endsAt, shift.endsAt) ? ['endsAt'] : []),
    ...(rate && (rate.currency !== shift.rateCurrency || shift.rateAmountMinor < rate.amountMinor)
      ? ['ratePerTicket']
      : []),
  ];
  if (changed.length === 0) return;
  throw new DomainError(
    'SHIFT_CHANGED',
    `The company changed this shift since you saw it (${changed.join(', ')}): look again before claiming`,
    {
      changed,
      startsAt: shift.startsAt,
      endsAt: shift.endsAt,
      ratePerTicket: { amountMinor: shift.rateAmountMinor, currency: shift.rateCurrency },
    },
  );
}
