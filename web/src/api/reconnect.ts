/** How the live event stream (event-stream.ts) waits between attempts; pure, so it is tested. */

const MAX_BACKOFF_MS = 30_000;
/**
 * A stream that lived this long, or delivered a frame, was healthy: its end starts the backoff
 * again. One the server accepted and ended at once (a database hiccup behind it) was not, and
 * counts as a failure: reset on every 200, every open tab reconnected about once a second.
 */
const HEALTHY_MS = 30_000;

/** Retry-After as milliseconds to wait: delay-seconds or an HTTP date; anything else is 0. */
export function retryAfterMs(value: string | null, now = Date.now()): number {
  const text = value?.trim() ?? '';
  if (text === '') return 0;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? 0 : Math.max(0, at - now);
}

/** Failures in a row after an attempt that opened at `openedAt` (null: it never opened). */
export function failuresAfter(
  failures: number,
  attempt: { openedAt: number | null; sawFrame: boolean },
  now = Date.now(),
): number {
  const healthy =
    attempt.openedAt !== null && (attempt.sawFrame || now - attempt.openedAt >= HEALTHY_MS);
  return healthy ? 1 : failures + 1;
}

/** The wait before the next attempt: the server's Retry-After, or a growing jittered backoff. */
export function reconnectDelay(failures: number, retryAfter: number, random = Math.random()) {
  const backoff = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(failures, 6));
  return Math.max(retryAfter, backoff * (0.75 + random * 0.5));
}
