/**
 * Runs `body` with this process's clock (the API's, in a test app) `offsetMs` off the
 * database's: `Date.now()` and `new Date()` both, so a check that reads either is caught. Only
 * Date is faked: the app's timers, ticks and microtasks run as they do.
 */
export async function withApiClockOff<T>(offsetMs: number, body: () => Promise<T>): Promise<T> {
  jest.useFakeTimers({
    now: Date.now() + offsetMs,
    advanceTimers: true,
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
  try {
    return await body();
  } finally {
    jest.useRealTimers();
  }
}
