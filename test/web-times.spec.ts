import { formatInstant, formatRange } from '../web/src/ui/times';

/** The console's shift windows, in the profile's zone. */
describe('the console shows a shift window', () => {
  it('with what both ends share said once', () => {
    expect(formatRange('2026-05-05T07:00:00Z', '2026-05-05T11:00:00Z', 'Europe/Berlin')).toBe(
      'Tue 5 May, 09:00–13:00 Europe/Berlin',
    );
  });

  it('with each end and its offset across the night the clocks go back', () => {
    // Intl's range gave the first as "Sun 25 Oct, 02:30" and the second as "02:15–02:00".
    expect(formatRange('2026-10-25T00:30:00Z', '2026-10-25T01:30:00Z', 'Europe/Berlin')).toBe(
      'Sun 25 Oct, 02:30 (GMT+2) – Sun 25 Oct, 02:30 (GMT+1) Europe/Berlin',
    );
    expect(formatRange('2026-10-25T00:15:00Z', '2026-10-25T01:00:00Z', 'Europe/Berlin')).toBe(
      'Sun 25 Oct, 02:15 (GMT+2) – Sun 25 Oct, 02:00 (GMT+1) Europe/Berlin',
    );
  });

  it('with each end and its offset inside the hour the clocks repeat', () => {
    // Both read "02:00–02:45" on that night in Berlin.
    expect(formatRange('2026-10-25T00:00:00Z', '2026-10-25T00:45:00Z', 'Europe/Berlin')).toBe(
      'Sun 25 Oct, 02:00 (GMT+2) – Sun 25 Oct, 02:45 (GMT+2) Europe/Berlin',
    );
    expect(formatRange('2026-10-25T01:00:00Z', '2026-10-25T01:45:00Z', 'Europe/Berlin')).toBe(
      'Sun 25 Oct, 02:00 (GMT+1) – Sun 25 Oct, 02:45 (GMT+1) Europe/Berlin',
    );
  });

  it('and across the night they go forward', () => {
    expect(formatRange('2026-03-29T00:30:00Z', '2026-03-29T01:30:00Z', 'Europe/Berlin')).toBe(
      'Sun 29 Mar, 01:30 (GMT+1) – Sun 29 Mar, 03:30 (GMT+2) Europe/Berlin',
    );
  });
});

/** An instant in the hour the clocks repeat names its offset; elsewhere it does not. */
describe('the console shows an instant', () => {
  it('as the zone reads it', () => {
    expect(formatInstant('2026-05-05T07:00:00Z', 'Europe/Berlin')).toBe(
      'Tue 5 May, 09:00 Europe/Berlin',
    );
  });

  it('with its offset in the repeated hour, so the two 02:30s differ', () => {
    expect(formatInstant('2026-10-25T00:30:00Z', 'Europe/Berlin')).toBe(
      'Sun 25 Oct, 02:30 (GMT+2) Europe/Berlin',
    );
    expect(formatInstant('2026-10-25T01:30:00Z', 'Europe/Berlin')).toBe(
      'Sun 25 Oct, 02:30 (GMT+1) Europe/Berlin',
    );
    // Lord Howe goes back half an hour.
    expect(formatInstant('2026-04-04T14:45:00Z', 'Australia/Lord_Howe')).toBe(
      'Sun 5 Apr, 01:45 (GMT+11) Australia/Lord_Howe',
    );
  });
});
