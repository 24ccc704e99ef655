import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { useSubmissionKey, type SubmissionKey } from './idempotency-key';
import { pressed, retryLostAnswer, sendAttempt, type KeyedCall } from './keyed-call';

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
  /** Closes the press: no further attempt (a dialog closed); its answer comes `dropped`. */
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
  /**
   * `dropped`: its dialog was closed meanwhile. What happened is still for the user to learn (a
   * seat cancelled after all); what the answer would do to the page (close a dialog, which may
   * be another one now) is not.
   */
  onSuccess?: (data: R, variables: V, dropped: boolean) => unknown;
  onError?: (error: unknown, variables: V, dropped: boolean) => unknown;
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
    onSuccess: (data, call) => options.onSuccess?.(data, call.v, call.dropped === true),
    onError: (error, call) => options.onError?.(error, call.v, call.dropped === true),
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
