import { useState } from 'react';

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

/** Drops a ticket's drafts: it left the agent (resolved, released, transferred, taken back). */
export function clearDraftsOf(ticketId: string): void {
  for (const key of [...drafts.keys()]) {
    if (key.startsWith(`ticket:${ticketId}:`)) drafts.delete(key);
  }
}

/** Drops every draft: the session ended, or another user signed in in this tab. */
export function clearDrafts(): void {
  drafts.clear();
}
