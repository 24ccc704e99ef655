import { inspect } from 'node:util';

/*
 * Tests wait for a condition they can observe (a row, a status, a request at a receiver),
 * never for a fixed time: a sleep is either too short on a loaded machine or wastes time on an
 * idle one. An exception thrown by the probe is not retried: it fails the wait at once.
 */

export interface WaitOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** Pause between two probes (default 100 ms). */
  intervalMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_INTERVAL_MS = 100;

const options = (o: number | WaitOptions | undefined): Required<WaitOptions> => {
  const given = typeof o === 'number' ? { timeoutMs: o } : (o ?? {});
  return {
    timeoutMs: given.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    intervalMs: given.intervalMs ?? DEFAULT_INTERVAL_MS,
  };
};

/** A value for a failure message: short, one line, readable. */
const shown = (v: unknown) =>
  inspect(v, { depth: 3, breakLength: Infinity, maxArrayLength: 10, maxStringLength: 300 });

/**
 * Reads `read()` until `done(value)` holds or the time is up (it always reads once more after
 * the deadline). Returns the last value read and whether it met the condition, without
 * throwing: for a caller whose assertion after the wait says best what is missing.
 */
export async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  opts?: number | WaitOptions,
): Promise<{ value: T; met: boolean; waitedMs: number }> {
  const { timeoutMs, intervalMs } = options(opts);
  const start = Date.now();
  const deadline = start + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return { value, met: true, waitedMs: Date.now() - start };
    if (Date.now() > deadline) return { value, met: false, waitedMs: Date.now() - start };
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Reads `read()` until `done(value)` holds and returns that value; after `timeoutMs` fails
 * naming what it waited for and the last value read, e.g.
 * `timed out after 30000 ms waiting for 5 lines paid (last value: 3)`.
 */
export async function waitUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  opts?: number | WaitOptions,
): Promise<T> {
  const { value, met, waitedMs } = await pollUntil(read, done, opts);
  if (!met) {
    throw new Error(
      `timed out after ${waitedMs} ms waiting for ${what} (last value: ${shown(value)})`,
    );
  }
  return value;
}

/**
 * Waits until `fn()` returns something truthy and returns it (the usual form:
 * `return cond && value`). The third argument is the timeout in ms, or options.
 */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | null | false>,
  what: string,
  opts?: number | WaitOptions,
): Promise<T> {
  return (await waitUntil(fn, Boolean, what, opts)) as T;
}

/** `promise`'s value, or a failure naming `what` if it has not settled within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
