import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useSubmissionKeys } from '../api/idempotency-key';
import { READ_WAIT_MS } from '../api/refresh';
import {
  lostAnswer,
  pressed,
  retryLostAnswer,
  sendAttempt,
  type KeyedCall,
} from '../api/keyed-call';

export interface RowFailure<V> {
  variables: V;
  error: unknown;
}

export interface RowActions<V> {
  mutate: (variables: V) => void;
  busy: (match: (variables: V) => boolean) => boolean;
  failures: RowFailure<V>[];
  dismiss: (failure: RowFailure<V>) => void;
  rowOf: (variables: V) => string;
  /** The calls whose answer was lost, being sent again (RowErrorAlerts says so). */
  retrying: V[];
}

/**
 * One mutation for the rows of a table (approve, certify, reinstate…), where the user may act on
 * a second row before the first answers. A plain useMutation tracks only its latest call: the
 * first row's button stopped showing as busy and could be pressed again, and its failure was
 * replaced by the second's success, so the alert never showed and the row silently stayed as
 * it was. Here every call counts: `busy` looks at all those under way, and each row's last
 * failure stays until the row is acted on again or the user dismisses it. A call whose answer
 * was lost is sent again by itself (retryLostAnswer) before it counts as failed.
 */
export function useRowActions<V>(options: {
  /**
   * `idempotencyKey`: the row's, the same while the same call on it is sent again after no
   * answer came (useSubmissionKeys), for the routes that take one.
   */
  mutationFn: (variables: V, idempotencyKey: string) => Promise<unknown>;
  /** The row a call acts on: a later call on it replaces its failure. */
  rowOf: (variables: V) => string;
  /**
   * After each call. The row stays busy until what it returns settles (the re-read its buttons
   * follow): its button came back between the answer and the re-read, and a second press (a new
   * key) was refused as the state it was already in.
   */
  onSettled?: (variables: V) => unknown;
}): RowActions<V> {
  const { rowOf } = options;
  const [running, setRunning] = useState<V[]>([]);
  const [failures, setFailures] = useState<RowFailure<V>[]>([]);
  const [retrying, setRetrying] = useState<V[]>([]);
  const others = (v: V) => (f: RowFailure<V>) => rowOf(f.variables) !== rowOf(v);
  const submissions = useSubmissionKeys();
  const mutation = useMutation({
    mutationFn: (call: KeyedCall<V>) =>
      sendAttempt(call, options.mutationFn).catch((error: unknown) => {
        // Said from the lost answer on, through the wait before the retry (and a pause while
        // offline), until the call settles.
        if (lostAnswer(error)) {
          setRetrying((list) => (list.includes(call.v) ? list : [...list, call.v]));
        }
        throw error;
      }),
    // Every row action is keyed or repeats alike (the OpenAPI test holds the routes to it): an
    // answer lost is asked for again, under the key chosen at the press, before the row reports
    // a failure. (Chosen per attempt, a retry held minutes in a hidden tab took a new key.)
    ...retryLostAnswer,
    onMutate: ({ v }) => {
      setRunning((list) => [...list, v]);
      setFailures((list) => list.filter(others(v)));
    },
    onError: (error, { v }) =>
      setFailures((list) => [...list.filter(others(v)), { variables: v, error }]),
    onSettled: (_data, error, { v }) => {
      submissions.settled(rowOf(v), error);
      setRetrying((list) => list.filter((x) => x !== v));
      // Never longer than a read is waited for anywhere: a read held by a server that does not
      // answer, or paused offline, must not leave the row busy for good.
      void Promise.race([
        Promise.resolve(options.onSettled?.(v)).catch(() => undefined),
        new Promise((done) => setTimeout(done, READ_WAIT_MS)),
      ]).finally(() => setRunning((list) => list.filter((x) => x !== v)));
    },
  });
  return {
    mutate: (v) => mutation.mutate(pressed(v, submissions.keyFor(rowOf(v), v))),
    busy: (match) => running.some(match),
    failures,
    dismiss: (failure) => setFailures((list) => list.filter((f) => f !== failure)),
    rowOf,
    retrying,
  };
}
