import { clockOffset } from '../web/src/api/server-clock';

/** The console compares the API's instants with the API's clock (web/src/api/server-clock.ts). */
describe("the console learns the API's clock from Date headers", () => {
  const sent = Date.parse('2026-12-03T12:00:00.100Z');
  const received = sent + 200; // the middle of the trip: 12:00:00.200

  it('finds a browser clock a minute fast or slow', () => {
    // The API says 12:01:00 (whole seconds: its middle, 12:01:00.5) while this clock says 12:00:00.2.
    expect(clockOffset('Thu, 03 Dec 2026 12:01:00 GMT', sent, received)).toBe(60_300);
    expect(clockOffset('Thu, 03 Dec 2026 11:59:00 GMT', sent, received)).toBe(-59_700);
  });

  it('takes clocks within two seconds as agreeing, and ignores a missing or odd header', () => {
    expect(clockOffset('Thu, 03 Dec 2026 12:00:01 GMT', sent, received)).toBe(0);
    expect(clockOffset('Thu, 03 Dec 2026 11:59:59 GMT', sent, received)).toBe(0);
    expect(clockOffset(null, sent, received)).toBeNull();
    expect(clockOffset('yesterday', sent, received)).toBeNull();
  });

  it('learns nothing from a slow answer: its header may come from anywhere in the trip', () => {
    // 6 s on the server: the header says the end, the middle of the trip is 3 s earlier.
    expect(clockOffset('Thu, 03 Dec 2026 12:00:06 GMT', sent, sent + 6000)).toBeNull();
  });
});
