import { api, type Schemas } from './client';
import { refreshSession } from './session';
import { session } from './session-store';
import { failuresAfter, reconnectDelay, retryAfterMs } from './reconnect';
import { serverNow } from './server-clock';
import { readFrames } from './sse-frames';

export type LiveEvent = Schemas['EventDto'];
export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'stopped';

/**
 * Keeps GET /v1/events/stream open for the signed-in user until the returned function is called:
 * reconnects after an end or an error, after a short growing backoff, with Last-Event-ID so the
 * API replays what was missed, and with whatever token is current then. Stops for good when the
 * session is gone (a 401 after the client's own refresh, or a refresh that failed).
 */
export function openEventStream(
  onEvent: (event: LiveEvent) => void,
  onState: (state: StreamState) => void = () => undefined,
): () => void {
  const controller = new AbortController();
  void run(controller.signal, onEvent, onState).finally(() => onState('stopped'));
  return () => controller.abort();
}

async function run(
  signal: AbortSignal,
  onEvent: (event: LiveEvent) => void,
  onState: (state: StreamState) => void,
): Promise<void> {
  let lastId: string | undefined;
  let failures = 0;
  onState('connecting');
  while (!signal.aborted) {
    let ended: string | undefined;
    let waitMs = 0;
    const attempt = { openedAt: null as number | null, sawFrame: false };
    const token = session.accessToken;
    try {
      const { data, response } = await api.GET('/v1/events/stream', {
        parseAs: 'stream',
        signal,
        params: { header: lastId === undefined ? {} : { 'Last-Event-ID': lastId } },
      });
      if (response.status === 401) return;
      waitMs = retryAfterMs(response.headers.get('Retry-After'), serverNow());
      if (response.ok && data) {
        attempt.openedAt = Date.now();
        onState('live');
        for await (const frame of readFrames(data)) {
          lastId = frame.lastId ?? lastId;
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
    }
    // The stream outlived its token, or the session ended elsewhere (a sign-out in another tab,
    // a suspension): get a token first. After token_expired the console has usually refreshed
    // already (a minute ahead); then the newer token is used as it is.
    const stale = ended === 'token_expired' && session.accessToken === token;
    if ((ended === 'session_ended' || stale) && !(await refreshSession())) return;
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
