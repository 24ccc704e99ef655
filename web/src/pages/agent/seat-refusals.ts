import { ApiError } from '../../../../src/client/client';
import { formatMoney } from '../../ui/amounts';
import { formatInstant, formatRange } from '../../ui/times';

/**
 * A refused seat claim or waitlist join in the agent's words, its instants in the profile's zone
 * (the API's messages give them in UTC, as ISO text); undefined for the others, which say it
 * as the API does.
 */
export function seatRefusal(error: unknown, zone: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const d = (error.details ?? {}) as Record<string, unknown>;
  if (error.code === 'SHIFT_CLOSED' && typeof d.claimsCloseAt === 'string') {
    return `Claims on this shift closed at ${formatInstant(d.claimsCloseAt, zone)}.`;
  }
  if (error.code === 'SHIFT_CLOSED' && typeof d.lineClosedAt === 'string') {
    return (
      `Its waitlist closed at ${formatInstant(d.lineClosedAt, zone)}: ` +
      'a seat given now could not be checked into in time.'
    );
  }
  if (error.code === 'SHIFT_CHANGED' && typeof d.startsAt === 'string') {
    const rate = d.ratePerTicket as { amountMinor: number; currency: string };
    return (
      `The company changed this shift since you saw it: it now runs ` +
      `${formatRange(d.startsAt, String(d.endsAt), zone)} at ` +
      `${formatMoney(rate.amountMinor, rate.currency)} a ticket. Read it again, then claim.`
    );
  }
  if (error.code === 'WEEKLY_HOURS_EXCEEDED' && typeof d.windowStart === 'string') {
    const total = Math.round((Number(d.weekHours) + Number(d.shiftHours)) * 100) / 100;
    return (
      `This seat would give you ${total} seat hours in the 7 days from ` +
      `${formatInstant(d.windowStart, zone)}: at most ${String(d.capHours)} are allowed in any 7 days.`
    );
  }
  return undefined;
}
