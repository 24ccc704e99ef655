import { useState } from 'react';
import { submissionKeys, type Attempt, type SubmissionKey } from '../api/idempotency-key';

/**
 * What was typed and not yet sent, by what it is for (`ticket:<id>:message`): kept while the
 * agent is on another page (an offer accepted from a ticket's page opens the next ticket) and
 * found again on coming back. In this tab's memory only; a ticket's go when it leaves the agent
 * (clearDraftsOf), and all of them with the session (clearDrafts), so the next person at this
 * computer finds none.
 */
const drafts = new Map<string, string>();

/**
 * A text field's value kept as a draft under `key` (an empty one is no draft). The map is
 * written by the setter itself, not in a state updater (React may run those twice, or never
 * for a form no longer on the page).
 */
export function useDraft(
  key: string,
): [string, (next: string | ((typed: string) => string)) => void] {
  const [value, setValue] = useState(() => drafts.get(key) ?? '');
  const set = (next: string | ((typed: string) => string)) => {
    const text = typeof next === 'function' ? next(drafts.get(key) ?? '') : next;
    if (text === '') drafts.delete(key);
    else drafts.set(key, text);
    setValue(text);
  };
  return [value, set];
}

/**
 * The Idempotency-Keys of drafts sent whose answer was lost, by draft: a form's own key went
 * with its page, so a message sent again after the agent had really left the ticket (the desk
 * rendered, then back) went under a new key, and a customer could read it twice.
 */
const draftAttempts = new Map<string, Attempt>();
const draftKeys = submissionKeys(draftAttempts);

/** The submission key of the draft `key` (useKeyedMutation's `submission`), kept as it is. */
export function draftSubmissionKey(key: string): SubmissionKey {
  return {
    keyFor: (request) => draftKeys.keyFor(key, request),
    settled: (error) => draftKeys.settled(key, error),
  };
}

/** Drops a ticket's drafts: it left the agent (resolved, released, transferred, taken back). */
export function clearDraftsOf(ticketId: string): void {
  for (const map of [drafts, draftAttempts]) {
    for (const key of [...map.keys()]) {
      if (key.startsWith(`ticket:${ticketId}:`)) map.delete(key);
    }
  }
}

/** Drops every draft: the session ended, or another user signed in in this tab. */
export function clearDrafts(): void {
  drafts.clear();
  draftAttempts.clear();
}
