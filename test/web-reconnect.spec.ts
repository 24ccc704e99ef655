import { failuresAfter, reconnectDelay, retryAfterMs } from '../web/src/api/reconnect';

/** The console's live stream between attempts (web/src/api/event-stream.ts). */
describe('the console reconnects its event stream', () => {
  const now = Date.parse('2026-12-03T12:00:00Z');

  it('reads Retry-After as seconds or an HTTP date, and anything else as no wait', () => {
    expect(retryAfterMs('5', now)).toBe(5000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
    expect(retryAfterMs('Thu, 03 Dec 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Thu, 03 Dec 2026 11:00:00 GMT', now)).toBe(0); // past
    expect(retryAfterMs('soon', now)).toBe(0); // was NaN: no wait at all
    expect(retryAfterMs(null, now)).toBe(0);
    expect(reconnectDelay(1, retryAfterMs('soon', now), 0.5)).toBe(1000);
  });

  it('backs off when the server accepts the stream and ends it at once, again and again', () => {
    let failures = 0;
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      // 200, then closed before any event: not a healthy stream.
      failures = failuresAfter(failures, { openedAt: now - 50, sawFrame: false }, now);
      delays.push(reconnectDelay(failures, 0, 0.5));
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('starts over after a stream that delivered events or lived 30 s', () => {
    expect(failuresAfter(5, { openedAt: now - 1000, sawFrame: true }, now)).toBe(1);
    expect(failuresAfter(5, { openedAt: now - 30_000, sawFrame: false }, now)).toBe(1);
    expect(failuresAfter(5, { openedAt: null, sawFrame: false }, now)).toBe(6); // never opened
    expect(reconnectDelay(1, 0, 0.5)).toBe(1000);
  });
});
