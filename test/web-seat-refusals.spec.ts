import { ApiError } from '../src/client/client';
import { seatRefusal } from '../web/src/pages/agent/seat-refusals';

const refusal = (code: string, message: string, details: unknown) =>
  new ApiError(409, { error: { code, message, details } }, 'POST /v1/shifts/x/claims');

/** A refused seat in the agent's words: its instants in the profile's zone, not UTC. */
describe('the console says why a seat was refused', () => {
  it('says when claims closed in the agent’s zone', () => {
    const error = refusal(
      'SHIFT_CLOSED',
      'Claims on this shift closed at 2026-12-07T16:30:00.000Z',
      {
        claimsCloseAt: '2026-12-07T16:30:00.000Z',
      },
    );
    expect(seatRefusal(error, 'America/New_York')).toBe(
      'Claims on this shift closed at Mon 7 Dec, 11:30 America/New_York.',
    );
  });

  it('says when a waitlist closed in the agent’s zone', () => {
    const error = refusal('SHIFT_CLOSED', 'The waitlist has closed: …', {
      lineClosedAt: '2026-12-07T16:50:00.000Z',
    });
    expect(seatRefusal(error, 'America/New_York')).toBe(
      'Its waitlist closed at Mon 7 Dec, 11:50 America/New_York: a seat given now could not be ' +
        'checked into in time.',
    );
  });

  it('says the weekly cap in the agent’s zone', () => {
    const error = refusal('WEEKLY_HOURS_EXCEEDED', '… from 2026-05-04T09:00:00.000Z …', {
      capHours: 40,
      weekHours: 38.5,
      shiftHours: 4,
      windowStart: '2026-05-04T09:00:00.000Z',
    });
    const said = seatRefusal(error, 'Europe/Lisbon');
    expect(said).toBe(
      'This seat would give you 42.5 seat hours in the 7 days from Mon 4 May, 10:00 Europe/Lisbon: ' +
        'at most 40 are allowed in any 7 days.',
    );
    expect(said).not.toMatch(/\d{4}-\d\d-\d\dT/);
  });

  it('says how a shift changed since it was shown, in the agent’s zone', () => {
    const error = refusal('SHIFT_CHANGED', 'The company changed this shift since you saw it', {
      changed: ['startsAt', 'endsAt'],
      startsAt: '2026-12-08T14:00:00.000Z',
      endsAt: '2026-12-08T16:00:00.000Z',
      ratePerTicket: { amountMinor: 250, currency: 'EUR' },
    });
    const said = seatRefusal(error, 'Europe/Lisbon')!;
    expect(said).toMatch(
      /^The company changed this shift since you saw it: it now runs Tue 8 Dec, 14:00/,
    );
    expect(said).toContain('€2.50 a ticket');
    expect(said).not.toMatch(/\d{4}-\d\d-\d\dT/);
  });

  it('leaves the others as the API says them', () => {
    expect(
      seatRefusal(refusal('SHIFT_FULL', 'Every seat on this shift is taken', null), 'UTC'),
    ).toBe(undefined);
    expect(seatRefusal(new Error('network'), 'UTC')).toBe(undefined);
  });
});
