import { notifications } from '@mantine/notifications';
import { ApiError, createHandoffClient, unwrap, type Schemas } from '../../../src/client/client';
import { getSessionState, setSessionState } from './session-store';

/**
 * The console's session: the API keeps the refresh token in an httpOnly cookie and answers an
 * access token, which lives in memory (session-store). The four session routes go through their
 * own client: the cookie is their credential (same origin), they carry no bearer token, and a 401
 * of theirs is an answer, not a reason to refresh (the console's client retries after one).
 */
const REGISTER = '/v1/auth/session/register';
const LOGIN = '/v1/auth/session/login';
const REFRESH = '/v1/auth/session/refresh';
const LOGOUT = '/v1/auth/session/logout';
const PASSWORD = '/v1/auth/password';
const REAUTHENTICATE = '/v1/auth/session/reauthenticate';

/**
 * The header tells the API it is the console: a cross-site form cannot set it, which keeps the
 * cookie from being used by another site. Each route declares it, so each call passes it too.
 */
const CONSOLE = { header: { 'X-Handoff-Console': '1' } } as const;

const sessionApi = createHandoffClient({
  baseUrl: window.location.origin,
  credentials: 'same-origin',
  headers: CONSOLE.header,
});

type Session = Schemas['SessionDto'];

/** Refresh this long before the access token runs out, so no call meets an expired one. */
const REFRESH_AHEAD_MS = 60_000;
/** After a refresh failed for a reason other than 401 (offline, 429, 5xx), try again in: */
const RETRY_MS = 15_000;
/**
 * A refresh or sign-out that has not answered by then is given up (and counts as offline):
 * either holds the refresh lock, which a sign-out here or a refresh in another tab waits for.
 */
const CALL_TIMEOUT_MS = 15_000;

let timer: ReturnType<typeof setTimeout> | undefined;
let inflight: Promise<boolean> | null = null;
/**
 * Counts sign-ins and sign-outs: a refresh answer that arrives after one of them is about the
 * session before it, and must not bring that session back.
 */
let epoch = 0;

function begin(answer: Session): void {
  // Straight from one user to another (another tab's sign-in reaching this one through the
  // shared cookie, with no sign-out seen here): what the last was told is not the next one's,
  // as at a sign-out. The notices sit above the pages the provider mounts afresh.
  const before = getSessionState().user;
  if (before !== null && before.id !== answer.user.id) notifications.clean();
  const expiresAt = Date.now() + answer.expiresIn * 1000;
  setSessionState({
    status: 'signed-in',
    user: answer.user,
    accessToken: answer.accessToken,
    expiresAt,
    problem: null,
  });
  schedule(Math.max(5_000, expiresAt - Date.now() - REFRESH_AHEAD_MS));
}

function end(problem: string | null = null): void {
  epoch += 1;
  clearTimeout(timer);
  // What the last user was told (a withdrawn ticket's subject, say) is not the next one's.
  notifications.clean();
  setSessionState({
    status: 'signed-out',
    user: null,
    accessToken: null,
    expiresAt: null,
    problem,
  });
}

function schedule(delayMs: number): void {
  clearTimeout(timer);
  timer = setTimeout(() => void refreshSession(), delayMs);
}

/**
 * Signs in. Under the refresh lock, as a password change is: another tab's refresh of the
 * account signed in before, answered after this sign-in's cookie was set, set its own over it,
 * and this tab became that account at its next renewal.
 */
export async function signIn(body: Schemas['LoginDto']): Promise<void> {
  await withLock(async () => {
    // Bounded, as every call under the lock: a hung sign-in held every tab's renewal.
    const signal = AbortSignal.timeout(CALL_TIMEOUT_MS);
    const answer = await unwrap(sessionApi.POST(LOGIN, { params: CONSOLE, body, signal }));
    epoch += 1;
    begin(answer);
  });
}

/** Sign-up as an agent, or as a company's admin (with the company's name); as signIn. */
export async function signUp(body: Schemas['RegisterDto']): Promise<void> {
  await withLock(async () => {
    const signal = AbortSignal.timeout(CALL_TIMEOUT_MS);
    const answer = await unwrap(sessionApi.POST(REGISTER, { params: CONSOLE, body, signal }));
    epoch += 1;
    begin(answer);
  });
}

/**
 * Changes the password, then signs this tab in again with the new one: the change ends every
 * login of the account, this tab's too. Under the refresh lock, so that no refresh here or in
 * another tab presents the revoked cookie between the two (its refusal clears the cookie, and
 * could land after the new one). The change goes with the access token held now, not through the
 * console's client, whose refresh after a 401 would wait for this same lock.
 */
export async function changePassword(body: Schemas['ChangePasswordDto']): Promise<void> {
  await inflight;
  await withLock(async () => {
    // Read under the lock (another tab's refresh may have renewed it meanwhile), and renewed
    // here when about to run out: the change carries it, not the console's client.
    if ((getSessionState().expiresAt ?? 0) - Date.now() < REFRESH_AHEAD_MS / 2) {
      await refreshOnce(true);
    }
    const { user, accessToken } = getSessionState();
    if (!user || !accessToken) throw new Error('Not signed in: sign in again');
    await unwrap(
      sessionApi.POST(PASSWORD, {
        body,
        headers: { Authorization: `Bearer ${accessToken}` },
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      }),
    );
    epoch += 1;
    try {
      begin(
        await unwrap(
          sessionApi.POST(LOGIN, {
            params: CONSOLE,
            body: { email: user.email, password: body.newPassword },
            signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
          }),
        ),
      );
    } catch {
      // Changed, but this tab could not sign in again: it is signed out, and says why.
      end('Your password was changed: sign in with the new one');
      throw new Error('Your password was changed: sign in with the new one');
    }
  });
}

/**
 * Gives the password again (a call was refused RECENT_SIGN_IN_REQUIRED): the cookie's login gets
 * a token that records it, so its renewals say it too, and this tab takes the access token that
 * says it now. Under the refresh lock, as a sign-in: it sets the cookie, which a refresh in this
 * tab or another must not present meanwhile. Through the session client: the console's would
 * ask for the password again on a refusal of its own. A 401 (a token issued before logins
 * carried the time, one just run out, or a cookie of another login: another tab signed in since)
 * is renewed and the password sent again, once, if the renewal found the same user.
 */
export async function reauthenticate(password: string): Promise<void> {
  // The user the prompt asked: a renewal below that finds another (the cookie followed another
  // tab's sign-in) proves nothing for them.
  const asked = getSessionState().user?.id;
  for (let attempt = 1; ; attempt++) {
    await inflight;
    if (getSessionState().user?.id !== asked) {
      throw new Error('You were signed out meanwhile: sign in again');
    }
    const started = epoch;
    const answer = await withLock(async () => {
      const { user, accessToken } = getSessionState();
      if (!user || !accessToken || epoch !== started) return null;
      return sessionApi.POST(REAUTHENTICATE, {
        params: CONSOLE,
        body: { password },
        headers: { Authorization: `Bearer ${accessToken}` },
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
    });
    if (!answer) throw new Error('You were signed out meanwhile: sign in again');
    if (answer.response.status === 401 && attempt === 1 && (await refreshSession())) continue;
    const session = await unwrap(Promise.resolve(answer));
    // Signed out, or in as someone else, meanwhile: this answer is not this tab's session.
    if (epoch !== started || getSessionState().user?.id !== session.user.id) {
      throw new Error('You were signed out meanwhile: sign in again');
    }
    begin(session);
    return;
  }
}

/**
 * Revokes the cookie's login (which also ends this user's event streams), then forgets. After
 * a refresh under way (it would sign the user back in) and under the same lock (another tab's
 * refresh rotating the cookie meanwhile). When the API did not take the sign-out (offline, a
 * 5xx), the login still lives in the cookie and the next visitor of this browser would be let
 * in: the user stays signed in here and is told, rather than shown a sign-in page that lies.
 */
export async function signOut(): Promise<void> {
  await inflight;
  clearTimeout(timer);
  const answer = await withLock(() =>
    sessionApi.POST(LOGOUT, { params: CONSOLE, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) }),
  ).catch(() => null);
  // 401: the cookie's login had ended already.
  if (answer && (answer.response.ok || answer.response.status === 401)) {
    end();
    return;
  }
  const { expiresAt } = getSessionState();
  if (expiresAt !== null) schedule(Math.max(5_000, expiresAt - Date.now() - REFRESH_AHEAD_MS));
  throw new Error(
    'Signing out did not reach the server, so this browser is still signed in: try again',
  );
}

/**
 * A new access token from the cookie: on load, ahead of expiry, and after a 401. Resolves true
 * when signed in. One at a time, in this tab and across tabs (Web Locks): each refresh rotates
 * the cookie, and a spent one presented again looks like a stolen token to the API, which then
 * revokes the whole login. (The API lets it pass for a minute, while the cookie it was traded for
 * is unused, REFRESH_TOKEN_REUSE_GRACE_SECONDS: that covers a reload during a refresh and tabs
 * without Web Locks, on plain http away from localhost.)
 */
export function refreshSession(): Promise<boolean> {
  inflight ??= withLock(attemptRefresh).finally(() => (inflight = null));
  return inflight;
}

/**
 * Waits before trying a page load's refresh again: a deploy's 502, a 429 or a dropped answer
 * would otherwise show the sign-in page while the cookie's login is fine (a reload then
 * restored it). Three tries in all.
 */
const LOAD_RETRIES_MS = [1_000, 3_000];

async function attemptRefresh(): Promise<boolean> {
  for (const waitMs of LOAD_RETRIES_MS) {
    const outcome = await refreshOnce(false);
    if (outcome !== 'again') return outcome;
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
  return (await refreshOnce(true)) === true;
}

/** No answer at all (a network error), or one saying to come back: worth another try. */
const passing = (err: unknown) =>
  (err instanceof TypeError && !(err instanceof DOMException)) ||
  // No answer in CALL_TIMEOUT_MS (a proxy that hangs rather than answering 502).
  (err instanceof DOMException && err.name === 'TimeoutError') ||
  (err instanceof ApiError && (err.status >= 500 || err.status === 429 || err.status === 408));

async function refreshOnce(last: boolean): Promise<boolean | 'again'> {
  const started = epoch;
  try {
    const answer = await sessionApi.POST(REFRESH, {
      params: CONSOLE,
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    // Signed out (or in as someone else) meanwhile: this answer is about the session before.
    if (epoch !== started) return getSessionState().status === 'signed-in';
    if (answer.response.status === 401) {
      end();
      return false;
    }
    begin(await unwrap(Promise.resolve(answer)));
    return true;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const { status, expiresAt } = getSessionState();
    if (status === 'loading' && !last && epoch === started && passing(err)) return 'again';
    if (status === 'loading') {
      end(`Your session could not be restored: ${message}`);
    } else if ((expiresAt !== null && expiresAt > Date.now()) || passing(err)) {
      // Still signed in for now, or no answer about the login (a deploy's 502, offline): the
      // cookie's login may be fine, and ending here would show a sign-in page that a reload
      // undoes (and leave that login in the cookie for the next person). Try again shortly;
      // calls fail meanwhile and say so.
      schedule(RETRY_MS);
    } else {
      end('Your session could not be renewed: sign in again');
    }
    return false;
  }
}

async function withLock<T>(work: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  return locks ? await locks.request('handoff-session-refresh', work) : work();
}
