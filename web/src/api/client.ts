import { createHandoffClient } from '../../../src/client/client';
import { observeServerDate } from './server-clock';
import { refreshSession } from './session';
import { session } from './session-store';

export { ApiError, unwrap, type Schemas } from '../../../src/client/client';

/**
 * fetch with one retry after a 401: the access token may have run out between the scheduled
 * refreshes (a laptop asleep, a throttled background tab). If another call already refreshed,
 * the retry just uses the newer token; otherwise it refreshes first. A second 401 is the answer
 * (refreshSession has then signed the console out when the cookie was refused).
 */
async function fetchWithRefresh(request: Request): Promise<Response> {
  const retry = request.clone();
  const sentAt = Date.now();
  const response = await fetch(request);
  observeServerDate(response.headers.get('Date'), sentAt, Date.now());
  if (response.status !== 401) return response;
  const sent = request.headers.get('Authorization');
  const current = session.accessToken;
  const newer = current !== undefined && sent !== `Bearer ${current}`;
  if (!newer && !(await refreshSession())) return response;
  retry.headers.set('Authorization', `Bearer ${session.accessToken}`);
  return fetch(retry);
}

/** The one client of the console: every API call but the four session routes goes through it. */
export const api = createHandoffClient({
  baseUrl: window.location.origin,
  token: () => session.accessToken,
  fetch: fetchWithRefresh,
});
