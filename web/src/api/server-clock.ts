/**
 * The API's clock as the console reads it. Offers run out, check-in opens and reviews close at
 * the API's instants; compared with a browser clock running fast or slow, an offer would vanish
 * or refuse Accept while still pending (and three that run out set the agent away), and Check in
 * would stay disabled while the API allows it. Every answer's Date header tells the difference.
 */

/** A round trip longer than this says too little: the header was written anywhere within it. */
const MAX_TRIP_MS = 1000;

/**
 * How far the API's clock is ahead of this one (ms) from one answer: its Date header (whole
 * seconds) against the middle of the request's round trip; 0 within 2 s, which one header cannot
 * tell from its rounding and the trip; null when the answer says nothing (no usable header, or a
 * trip so long, a slow request, that the header could have been written anywhere in it).
 */
export function clockOffset(
  dateHeader: string | null,
  sentAt: number,
  receivedAt: number,
): number | null {
  const server = dateHeader ? Date.parse(dateHeader) : NaN;
  if (Number.isNaN(server) || receivedAt - sentAt > MAX_TRIP_MS) return null;
  const offset = server + 500 - (sentAt + receivedAt) / 2;
  return Math.abs(offset) > 2000 ? Math.round(offset) : 0;
}

let offsetMs = 0;

/** Learns the offset from an answer (client.ts calls it for every one). */
export function observeServerDate(dateHeader: string | null, sentAt: number, receivedAt: number) {
  offsetMs = clockOffset(dateHeader, sentAt, receivedAt) ?? offsetMs;
}

/** Now, on the API's clock. */
export const serverNow = (): number => Date.now() + offsetMs;
