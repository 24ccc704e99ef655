import { observeServerDate } from './server-clock';
import { session } from './session-store';

/** The console's password prompt (password-prompt.ts): open it, and count what it proved. */
export interface PasswordPrompt {
  ask(): Promise<boolean>;
  /** How many times the password was given so far. */
  proofs(): number;
}

/**
 * fetch with one retry after a 401: the access token may have run out between the scheduled
 * refreshes (a laptop asleep, a throttled background tab). If another call already refreshed,
 * the retry just uses the newer token; otherwise it refreshes first. A second 401 is the answer
 * (refreshSession has then signed the console out when the cookie was refused). Nor is it retried
 * when the console now holds another user's session (signed out and in as someone else in
 * another tab, whose cookie the refresh follows): one user's click is never sent as another's.
 */
export const fetchWithRefresh =
  (refreshSession: () => Promise<boolean>, prompt: PasswordPrompt) =>
  async (request: Request): Promise<Response> => {
    const retry = request.clone();
    const sender = session.user?.id;
    const proofs = prompt.proofs();
    const sentAt = Date.now();
    const response = await fetch(request);
    observeServerDate(response.headers.get('Date'), sentAt, Date.now());
    if (response.status === 403) {
      return afterRefusal(response, retry, { sender, proofs }, prompt);
    }
    if (response.status !== 401) return response;
    const sent = request.headers.get('Authorization');
    const current = session.accessToken;
    const newer = current !== undefined && sent !== `Bearer ${current}`;
    if (!newer && !(await refreshSession())) return response;
    if (sender !== undefined && session.user?.id !== sender) return response;
    // Sent again as it was, for a refusal of its own after the renewal (a step past the sign-in's
    // window, met after a laptop slept): the first attempt's copy is spent by then.
    const again = retry.clone();
    retry.headers.set('Authorization', `Bearer ${session.accessToken}`);
    const second = await fetch(retry);
    if (second.status !== 403) return second;
    return afterRefusal(second, again, { sender, proofs }, prompt);
  };

/**
 * A 403 RECENT_SIGN_IN_REQUIRED (an API key, a webhook, payout onboarding): the user is asked for
 * the password, and the request goes again with the token that proves it (the refusal wrote
 * nothing, so sending it again is safe). When the password was given since it was sent (the
 * prompt answered for another call), it goes again without asking first, and asks if refused
 * again. The prompt opens at most once per request. Turned down, or another user's session by
 * then: the refusal is the answer, and the page says it. Only a write asks: a read refused so
 * (none is today) must not open a prompt from the background.
 */
async function afterRefusal(
  response: Response,
  retry: Request,
  sent: { sender: string | undefined; proofs: number },
  prompt: PasswordPrompt,
): Promise<Response> {
  if (retry.method === 'GET' || retry.method === 'HEAD') return response;
  if (!(await wantsRecentSignIn(response))) return response;
  let answer = response;
  let asked = false;
  let proofs = sent.proofs;
  while (true) {
    // Checked before asking: another user signed in meanwhile is never asked for this click.
    if (sent.sender === undefined || session.user?.id !== sent.sender) return answer;
    if (prompt.proofs() === proofs) {
      if (asked || !(await prompt.ask())) return answer;
      asked = true;
      if (session.user?.id !== sent.sender) return answer;
    }
    proofs = prompt.proofs();
    const again = retry.clone();
    again.headers.set('Authorization', `Bearer ${session.accessToken}`);
    answer = await fetch(again);
    if (answer.status !== 403 || !(await wantsRecentSignIn(answer))) return answer;
  }
}

async function wantsRecentSignIn(response: Response): Promise<boolean> {
  const body = (await response
    .clone()
    .json()
    .catch(() => null)) as { error?: { code?: unknown } } | null;
  return body?.error?.code === 'RECENT_SIGN_IN_REQUIRED';
}
