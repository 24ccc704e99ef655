import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { getSessionState } from './session-store';
import {
  KEY_KEPT_MS,
  NotSent,
  retryLostAnswer,
  useSubmissionKey,
  type SubmissionKey,
} from './idempotency-key';

/** One press: its variables, its Idempotency-Key and who pressed, fixed for every attempt. */
export interface KeyedCall<V> {
  v: V;
  key: string;
  by: string | undefined;
  /** When it was pressed (ms since the epoch). */
  at: number;
  /** Its form was closed or left: no further attempt is sent, nor its answer acted on. */
  dropped?: boolean;
  /** Attempts sent so far (sendAttempt): a retry's is 1 or more. */
  sent?: number;
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
  call.sent = (call.sent ?? 0) + 1;
  return send(call.v, call.key);
}

export interface KeyedMutation<R, V> {
  mutate: (variables: V) => void;
  isPending: boolean;
  /** The last press's final failure (null while its retries still run). */
  error: unknown;
  /**
   * An answer was lost and the same request is being sent again (retryLostAnswer): `now`, or
   * `paused` while the browser is offline or the tab hidden (TanStack waits for them).
   */
  retrying: false | 'now' | 'paused';
  reset: () => void;
  /** Closes the press: no further attempt, its answer not acted on (a dialog closed). */
  drop: () => void;
  isSuccess: boolean;
  data: R | undefined;
  /** The last press's variables. */
  variables: V | undefined;
}

/**
 * A single button's write that takes an Idempotency-Key (resolve, check-in, a dialog's
 * confirm). The request is fixed at the press: its variables (so an edit made while it runs is
 * not sent by a retry), its key (useSubmissionKey: the same for the same request pressed again
 * after a lost answer) and the user. An answer that may have been lost is asked for again by
 * itself under that key (after 1 s and 3 s) before the failure shows: the agent was told "Not
 * resolved" for a ticket the API had resolved, and had to press again to learn it. Closing a
 * dialog drops its press (sendAttempt).
 */
export function useKeyedMutation<R, V = void>(options: {
  mutationFn: (variables: V, idempotencyKey: string) => Promise<R>;
  /** What makes two presses the same request, for the key (default: the variables). */
  request?: (variables: V) => unknown;
  /** Not called for a dropped press. */
  onSuccess?: (data: R, variables: V) => unknown;
  /** Not called for a dropped press. */
  onError?: (error: unknown, variables: V) => unknown;
  /**
   * After the last attempt, a dropped press's too (a re-read belongs here: it may have been
   * done). A promise returned keeps the mutation pending until it settles.
   */
  onSettled?: (error: unknown, variables: V) => unknown;
  /**
   * Where the key is held, when it must outlive this component (a dialog closed and opened
   * again after a lost answer sends the same request under the same key).
   */
  submission?: SubmissionKey;
  /**
   * A dialog's: closing it (it unmounts) drops its press. Not a page's or a card's: one removed
   * by a re-read while its call runs (an offer accepted, gone from the list before the accept's
   * answer came) must still act on the answer (open the ticket).
   */
  dropOnUnmount?: boolean;
}): KeyedMutation<R, V> {
  const own = useSubmissionKey();
  const submission = options.submission ?? own;
  const last = useRef<KeyedCall<V>>(null);
  const mutation = useMutation({
    mutationFn: (call: KeyedCall<V>) => sendAttempt(call, options.mutationFn),
    ...retryLostAnswer,
    onSettled: (_data, error, call) => {
      submission.settled(error);
      return options.onSettled?.(error, call.v);
    },
    onSuccess: (data, call) => (call.dropped ? undefined : options.onSuccess?.(data, call.v)),
    onError: (error, call) => (call.dropped ? undefined : options.onError?.(error, call.v)),
  });
  const drop = () => {
    if (last.current) last.current.dropped = true;
  };
  const { dropOnUnmount = false } = options;
  useEffect(() => (dropOnUnmount ? drop : undefined), [dropOnUnmount]);
  const { request = (v: V) => v } = options;
  const waiting = mutation.isPending && mutation.failureCount > 0;
  return {
    mutate: (v) => {
      last.current = pressed(v, submission.keyFor(request(v)));
      mutation.mutate(last.current);
    },
    isPending: mutation.isPending,
    error: mutation.error,
    retrying: waiting ? (mutation.isPaused ? 'paused' : 'now') : false,
    reset: mutation.reset,
    drop: () => {
      drop();
      mutation.reset();
    },
    isSuccess: mutation.isSuccess,
    data: mutation.data,
    variables: mutation.variables?.v,
  };
}
