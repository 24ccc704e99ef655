import { observeServerDate } from './server-clock';
import { session } from './session-store';

/**
 * fetch with one retry after a 401: the access token may have run out between the scheduled
 * refreshes (a laptop asleep, a throttled background tab). If another call already refreshed,
 * the retry just uses the newer token; otherwise it refreshes first. A second 401 is the answer
 * (refreshSession has then signed the console out when the cookie was refused). Nor is it retried
 * when the console now holds another user's session (signed out and in as someone else in
 * another tab, whose cookie the refresh follows): one user's click is never sent as another's.
 */
export const fetchWithRefresh =
  (refreshSession: () => Promise<boolean>, confirmPassword: () => Promise<boolean>) =>
  async (request: Request): Promise<Response> => {
    const retry = request.clone();
    const sender = session.user?.id;
    const sentAt = Date.now();
    const response = await fetch(request);
    observeServerDate(response.headers.get('Date'), sentAt, Date.now());
    if (response.status === 403) return afterRefusal(response, retry, sender, confirmPassword);
    if (response.status !== 401) return response;
    const sent = request.headers.get('Authorization');
    const current = session.accessToken;
    const newer = current !== undefined && sent !== `Bearer ${current}`;
    if (!newer && !(await refreshSession())) return response;
    if (sender !== undefined && session.user?.id !== sender) return response;
    retry.headers.set('Authorization', `Bearer ${session.accessToken}`);
    return fetch(retry);
  };

/**
 * A 403 RECENT_SIGN_IN_REQUIRED (an API key, a webhook, payout onboarding): the user is asked for
 * the password, and the request goes again with the token that proves it (the refusal wrote
 * nothing, so sending it again is safe). Turned down, or another user's session by then: the
 * refusal is the answer, and the page says it.
 */
async function afterRefusal(
  response: Response,
  retry: Request,
  sender: string | undefined,
  confirmPassword: () => Promise<boolean>,
): Promise<Response> {
  const body = (await response
    .clone()
    .json()
    .catch(() => null)) as { error?: { code?: unknown } } | null;
  if (body?.error?.code !== 'RECENT_SIGN_IN_REQUIRED') return response;
  if (!(await confirmPassword())) return response;
  if (sender === undefined || session.user?.id !== sender) return response;
  retry.headers.set('Authorization', `Bearer ${session.accessToken}`);
  return fetch(retry);
}
