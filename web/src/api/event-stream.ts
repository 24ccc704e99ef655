import { api, type Schemas } from './client';
import { refreshSession } from './session';
import { getSessionState, session } from './session-store';
import { failuresAfter, reconnectDelay, retryAfterMs } from './reconnect';
import { serverNow } from './server-clock';
import { readFrames } from './sse-frames';

export type LiveEvent = Schemas['EventDto'];

/**
 * The API writes a heartbeat every EVENTS_HEARTBEAT_MS (15 s; at most 20 s, env.validation): a
 * stream silent this long is dead though its socket looks open (a NAT or proxy dropped it, the
 * laptop slept, the Wi-Fi changed). It is given up and opened again, or the desk would say
 * "Live" while no offer reached it, and three unseen offers set the agent away.
 */
export const SILENT_STREAM_MS = 45_000;
export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'stopped';

/** When the tab's stream last carried anything, a heartbeat included (from the start: now). */
let heardAt = Date.now();

/**
 * Whether the stream carried anything in the last `ms`: past a heartbeat's period (15 s) and a
 * margin, a page that must not miss an offer reads it itself meanwhile (the stream is found dead
 * only after SILENT_STREAM_MS, then opened again after a wait).
 */
export function streamHeardWithin(ms: number): boolean {
  return Date.now() - heardAt < ms;
}

/**
 * Why what is on screen must be read again when a stream stands (its first id): `first`, the
 * page's first reads may have been answered before the stream began (an event committed in
 * between is in neither); `lost`, a stream reopened with no id to resume from (none had come
 * before it dropped) is not replayed what it missed.
 */
export type Resync = 'first' | 'lost';

/**
 * Keeps GET /v1/events/stream open for the signed-in user until the returned function is called:
 * reconnects after an end or an error, after a short growing backoff, with Last-Event-ID so the
 * API replays what was missed, and with whatever token is current then. A stream with no id to
 * give calls onResync once it stands (see Resync). Stops for good when the session is gone
 * (signed out); a refresh that failed for a moment (a deploy's 502) is only a reason to wait
 * and try again, as the session itself does.
 */
export function openEventStream(
  onEvent: (event: LiveEvent) => void,
  onState: (state: StreamState) => void = () => undefined,
  onResync: (why: Resync) => void = () => undefined,
): () => void {
  const controller = new AbortController();
  void run(controller.signal, onEvent, onState, onResync).finally(() => onState('stopped'));
  return () => controller.abort();
}

const signedIn = () => getSessionState().status === 'signed-in';

async function run(
  signal: AbortSignal,
  onEvent: (event: LiveEvent) => void,
  onState: (state: StreamState) => void,
  onResync: (why: Resync) => void,
): Promise<void> {
  let lastId: string | undefined;
  let failures = 0;
  let attempts = 0;
  onState('connecting');
  while (!signal.aborted) {
    let ended: string | undefined;
    let waitMs = 0;
    const attempt = { openedAt: null as number | null, sawFrame: false };
    const token = session.accessToken;
    // This attempt's own signal: the caller's stop, a silence past SILENT_STREAM_MS, or the
    // browser coming back online (the old socket is likely dead) end it, and the loop opens
    // another at once.
    const cut = new AbortController();
    const stop = () => cut.abort();
    signal.addEventListener('abort', stop, { once: true });
    let silence = setTimeout(stop, SILENT_STREAM_MS);
    const alive = () => {
      heardAt = Date.now();
      clearTimeout(silence);
      silence = setTimeout(stop, SILENT_STREAM_MS);
    };
    window.addEventListener('online', stop);
    try {
      const { data, response } = await api.GET('/v1/events/stream', {
        parseAs: 'stream',
        signal: cut.signal,
        params: { header: lastId === undefined ? {} : { 'Last-Event-ID': lastId } },
      });
      // Still 401 after the client's own refresh: signed out, or that refresh failed for a moment.
      if (response.status === 401 && !signedIn()) return;
      waitMs = retryAfterMs(response.headers.get('Retry-After'), serverNow());
      if (response.ok && data) {
        attempt.openedAt = Date.now();
        onState('live');
        // With nothing to resume from, what is on screen is read again once the API says where
        // the stream stands (its first id: everything after it comes on the stream; a read
        // answered before it might miss what the stream starts after).
        let resync: Resync | null = lastId !== undefined ? null : attempts > 0 ? 'lost' : 'first';
        const standsAt = (id: string) => {
          lastId = id;
          if (resync) onResync(resync);
          resync = null;
        };
        for await (const frame of readFrames(data, alive, standsAt)) {
          if (frame.event === 'stream.end') {
            ended = reasonOf(frame.data);
            break;
          }
          attempt.sawFrame = true;
          const event = parse(frame.data);
          if (event) onEvent(event);
        }
      }
    } catch {
      if (signal.aborted) return;
    } finally {
      attempts += 1;
      clearTimeout(silence);
      signal.removeEventListener('abort', stop);
      window.removeEventListener('online', stop);
    }
    // The stream outlived its token, or the session ended elsewhere (a sign-out in another tab,
    // a suspension): get a token first. After token_expired the console has usually refreshed
    // already (a minute ahead); then the newer token is used as it is.
    const stale = ended === 'token_expired' && session.accessToken === token;
    if ((ended === 'session_ended' || stale) && !(await refreshSession()) && !signedIn()) return;
    failures = failuresAfter(failures, attempt);
    onState('reconnecting');
    await sleep(reconnectDelay(failures, waitMs), signal);
  }
}

function reasonOf(data: string): string | undefined {
  try {
    const body: unknown = JSON.parse(data);
    const reason = (body as { reason?: unknown } | null)?.reason;
    return typeof reason === 'string' ? reason : undefined;
  } catch {
    return undefined;
  }
}

function parse(data: string): LiveEvent | undefined {
  try {
    const event = JSON.parse(data) as LiveEvent;
    return typeof event?.type === 'string' && typeof event.data === 'object' ? event : undefined;
  } catch {
    return undefined;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
