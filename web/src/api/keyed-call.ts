// From the generated client itself, not ./client (which reads the page's address when loaded),
// and no React: the retry rules are tested outside a browser (test/web-keyed-retry.spec.ts).
import { ApiError } from '../../../src/client/client';
import { getSessionState } from './session-store';

/*
 * One press of a keyed write, and the rules for sending it again after a lost answer
 * (useKeyedMutation and useRowActions run them).
 */

/**
 * How long after its last lost answer a kept key is sent again. A retry comes within moments;
 * the same button pressed later (a redelivery, a certification revoked again after the agent
 * was certified anew) is another request, which the old key would answer with the first's.
 */
export const KEY_KEPT_MS = 5 * 60_000;

/** The waits before a write whose answer was lost is sent again by itself, under its key. */
export const LOST_ANSWER_RETRY_MS = [1_000, 3_000];

/**
 * TanStack retry options for a write that may be repeated safely: one sent with its
 * Idempotency-Key (kept while no answer came), or one whose repeat does the same again. Only an
 * answer that may have been lost is retried: none at all (offline, a dropped connection), a
 * proxy's 502/504, the API's 503, or the key still in use by the first attempt. A refusal, a 500
 * or a 429 is reported at once. A row's action whose answer was lost reported a failure, while
 * the list, read again, showed the row done.
 */
export const retryLostAnswer = {
  retry: (failures: number, error: unknown) => {
    // Not sent again for being asked too long ago: the attempt before it went unanswered.
    if (error instanceof NotSent && error.why === 'stale') unanswered.add(error);
    if (!lostAnswer(error)) return false;
    if (failures < LOST_ANSWER_RETRY_MS.length) return true;
    // The last attempt's answer was lost too: whether it was done is not known.
    if (typeof error === 'object' && error !== null) unanswered.add(error);
    return false;
  },
  retryDelay: (failures: number) => LOST_ANSWER_RETRY_MS[failures] ?? 3_000,
};

const unanswered = new WeakSet<object>();

/**
 * Whether `error` ended a keyed write whose every attempt went unanswered (the network, a
 * proxy's 502): it may have been done. Its alert says so, not the action's "not done" (a
 * finance user told "No adjustment made" would make it again once the key was no longer kept),
 * and the page is read again to show what was.
 */
export const unansweredWrite = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && unanswered.has(error);

/** Why an attempt of a press was not sent (sendAttempt, below). */
export type NotSentWhy = 'another-user' | 'answered-another-user' | 'dropped' | 'stale';

const NOT_SENT: Record<NotSentWhy, string> = {
  'another-user': 'Not sent: you are no longer signed in as the user who asked for it',
  'answered-another-user':
    'Answered after you signed out: sign in as the user who asked for it to see what was done',
  dropped: 'Not sent again: it was closed before an answer came',
  stale:
    'Not sent again: it was asked for more than 5 minutes ago. Check whether it was done, then try again',
};

/** An attempt not sent: another user in this tab, its form closed, or pressed too long ago. */
export class NotSent extends Error {
  constructor(readonly why: NotSentWhy) {
    super(NOT_SENT[why]);
    this.name = 'NotSent';
  }
}

/** An answer that may have been lost: the call is sent again (while retries are left). */
export const lostAnswer = (error: unknown) =>
  error instanceof ApiError
    ? [502, 503, 504, 408].includes(error.status) || error.code === 'IDEMPOTENCY_KEY_IN_USE'
    : !(error instanceof NotSent);

/** One press: its variables, its Idempotency-Key and who pressed, fixed for every attempt. */
export interface KeyedCall<V> {
  v: V;
  key: string;
  by: string | undefined;
  /** When it was pressed (ms since the epoch). */
  at: number;
  /** Its dialog was closed: no further attempt is sent, and its answer comes `dropped`. */
  dropped?: boolean;
}

/** Who this tab is signed in as now (the session store, not a page's render). */
export const signedInUser = () => getSessionState().user?.id;

/** A press's call, fixed for all its attempts. */
export const pressed = <V>(v: V, key: string): KeyedCall<V> => ({
  v,
  key,
  by: signedInUser(),
  at: Date.now(),
});

/**
 * Sends one attempt of a press, unless:
 * - this tab is signed in as someone else now (or out): read from the store at each attempt,
 *   since the page that pressed is gone by then without rendering again;
 * - its form was closed or left (a dialog's "Keep" pressed while it was sent again: the user
 *   backed out, so nothing more is sent, and an answer no longer closes what is open now);
 * - it was pressed more than the key's five minutes ago: TanStack holds a retry while the tab
 *   is hidden or offline, for as long as that lasts, and the API forgets a key after a day.
 */
export function sendAttempt<V, R>(
  call: KeyedCall<V>,
  send: (variables: V, idempotencyKey: string) => Promise<R>,
): Promise<R> {
  if (call.by !== signedInUser()) return Promise.reject(new NotSent('another-user'));
  if (call.dropped) return Promise.reject(new NotSent('dropped'));
  if (Date.now() - call.at > KEY_KEPT_MS) return Promise.reject(new NotSent('stale'));
  return forTheAsker(() => send(call.v, call.key), call.by);
}

/**
 * `send`'s answer, unless the tab has been signed in as someone else (or out) since `by` asked:
 * a success handler would write the first user's answer into the next one's cache (a profile,
 * shown and then saved over the next user's), or show its notices, or navigate its pages.
 */
export async function forTheAsker<R>(
  send: () => Promise<R>,
  by: string | undefined = signedInUser(),
): Promise<R> {
  const answer = await send();
  if (signedInUser() !== by) throw new NotSent('answered-another-user');
  return answer;
}
