import { useRef } from 'react';
import { KEY_KEPT_MS } from './keyed-call';
import { ApiError } from './client';

/**
 * A fresh Idempotency-Key for one attempt (a UUID v4). crypto.randomUUID exists only in secure
 * contexts (https, localhost); getRandomValues everywhere, so a console opened over plain http
 * on a LAN address still works.
 */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface SubmissionKey {
  keyFor: (request?: unknown) => string;
  settled: (error: unknown) => void;
}

/**
 * One Idempotency-Key per submission, for a form or button that creates something or changes a
 * state: sent again while the same request is retried after no answer came (offline, a dropped
 * connection), so the API answers the first attempt's result instead of creating a second
 * shift, key or ticket claim, or refusing a write-off as "already written off". A changed
 * request gets a new key, and so does the next one once the API answered (any answer: a
 * success, or a refusal the user may now correct or simply retry).
 */
export function useSubmissionKey(): SubmissionKey {
  const keys = useSubmissionKeys();
  return {
    keyFor: (request: unknown = null): string => keys.keyFor('', request),
    settled: (error: unknown): void => keys.settled('', error),
  };
}

/**
 * useSubmissionKey for several submissions at once, one per slot (a table's row: approving one
 * adjustment while another's answer is still on its way).
 */
export function useSubmissionKeys() {
  const attempts = useRef(new Map<string, Attempt>());
  return submissionKeys(attempts.current);
}

/** A press's key, for the request it was made for, and when its last answer was lost. */
export interface Attempt {
  request: string;
  key: string;
  at: number;
}

/**
 * The keys of useSubmissionKeys, held in `attempts`: a component's own map, or one that
 * outlives the page (a draft's: see useDraftSubmissionKey).
 */
export function submissionKeys(attempts: Map<string, Attempt>) {
  return {
    keyFor(slot: string, request: unknown = null): string {
      const text = JSON.stringify(request);
      let attempt = attempts.get(slot);
      if (attempt?.request !== text || Date.now() - attempt.at > KEY_KEPT_MS) {
        attempt = { request: text, key: newIdempotencyKey(), at: Date.now() };
        attempts.set(slot, attempt);
      }
      return attempt.key;
    },
    /**
     * After the mutation settled: forget the key once the API has answered for good, and keep
     * it when the answer may have been lost or the first attempt still runs: no answer at all,
     * a 5xx (a proxy's 502/504 too; the API frees the key after one), 408, 429, or 409
     * IDEMPOTENCY_KEY_IN_USE.
     */
    settled(slot: string, error: unknown): void {
      if (error === null || (error instanceof ApiError && !answerMayBeLost(error))) {
        attempts.delete(slot);
        return;
      }
      // Kept: its five minutes count from this lost answer, not from the first press (a
      // request that hung for minutes, or a run of retries, keeps its key).
      const attempt = attempts.get(slot);
      if (attempt) attempt.at = Date.now();
    },
  };
}

const answerMayBeLost = (error: ApiError) =>
  error.status >= 500 ||
  error.status === 408 ||
  error.status === 429 ||
  error.code === 'IDEMPOTENCY_KEY_IN_USE';
