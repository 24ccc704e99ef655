import { useMutation } from '@tanstack/react-query';
import { getSessionState } from './session-store';
import {
  NotSentAsAnotherUser,
  retryLostAnswer,
  useSubmissionKey,
  type SubmissionKey,
} from './idempotency-key';

/** One press: its variables, its Idempotency-Key and who pressed, fixed for every attempt. */
export interface KeyedCall<V> {
  v: V;
  key: string;
  by: string | undefined;
}

/** Who this tab is signed in as now (the session store, not a page's render). */
export const signedInUser = () => getSessionState().user?.id;

/**
 * Sends one attempt of a press. A retry after this tab signed in as someone else (or out) is
 * not sent as them: read from the store at each attempt, since the page that pressed is gone by
 * then without rendering again.
 */
export function sendAttempt<V, R>(
  call: KeyedCall<V>,
  send: (variables: V, idempotencyKey: string) => Promise<R>,
): Promise<R> {
  if (call.by !== signedInUser()) return Promise.reject(new NotSentAsAnotherUser());
  return send(call.v, call.key);
}

export interface KeyedMutation<R, V> {
  mutate: (variables: V) => void;
  isPending: boolean;
  /** The last press's final failure (null while its retries still run). */
  error: unknown;
  /** An answer was lost and the same request is being sent again (retryLostAnswer). */
  retrying: boolean;
  reset: () => void;
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
 * resolved" for a ticket the API had resolved, and had to press again to learn it.
 */
export function useKeyedMutation<R, V = void>(options: {
  mutationFn: (variables: V, idempotencyKey: string) => Promise<R>;
  /** What makes two presses the same request, for the key (default: the variables). */
  request?: (variables: V) => unknown;
  onSuccess?: (data: R, variables: V) => unknown;
  onError?: (error: unknown, variables: V) => unknown;
  /** After the last attempt; a promise returned keeps the mutation pending until it settles. */
  onSettled?: (error: unknown, variables: V) => unknown;
  /**
   * Where the key is held, when it must outlive this component (a dialog closed and opened
   * again after a lost answer sends the same request under the same key).
   */
  submission?: SubmissionKey;
}): KeyedMutation<R, V> {
  const own = useSubmissionKey();
  const submission = options.submission ?? own;
  const mutation = useMutation({
    mutationFn: (call: KeyedCall<V>) => sendAttempt(call, options.mutationFn),
    ...retryLostAnswer,
    onSettled: (_data, error, call) => {
      submission.settled(error);
      return options.onSettled?.(error, call.v);
    },
    onSuccess: (data, call) => options.onSuccess?.(data, call.v),
    onError: (error, call) => options.onError?.(error, call.v),
  });
  const { request = (v: V) => v } = options;
  return {
    mutate: (v) => mutation.mutate({ v, key: submission.keyFor(request(v)), by: signedInUser() }),
    isPending: mutation.isPending,
    error: mutation.error,
    retrying: mutation.isPending && mutation.failureCount > 0,
    reset: mutation.reset,
    isSuccess: mutation.isSuccess,
    data: mutation.data,
    variables: mutation.variables?.v,
  };
}
