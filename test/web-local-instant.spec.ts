import { localToInstant } from '../web/src/ui/times';

/** The console's date-time fields (a shift's start and end, a payout run's cutoff). */
describe('the console sends a datetime-local value as an instant', () => {
  it('in the browser’s zone, as UTC with milliseconds', () => {
    expect(localToInstant('2030-05-04T09:00')).toBe(new Date(2030, 4, 4, 9, 0).toISOString());
  });

  it('leaves an empty one empty, for the API to name the field', () => {
    expect(localToInstant('')).toBe('');
  });

  it('sends one Date cannot read as typed, for the API to refuse under its field, never throws', () => {
    // Browsers take years up to 275760 in the field: a stray keystroke gives a five-digit year.
    expect(localToInstant('20266-05-04T09:00')).toBe('20266-05-04T09:00');
    expect(() => new Date('20266-05-04T09:00').toISOString()).toThrow(RangeError); // as it was
  });
});
