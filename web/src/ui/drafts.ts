import { useState } from 'react';

/**
 * What was typed and not yet sent, by what it is for (`ticket:<id>:message`): kept while the
 * agent is on another page (an offer accepted from a ticket's page opens the next ticket) and
 * found again on coming back. In this tab's memory only, and emptied with the session
 * (clearDrafts), so the next person at this computer finds none.
 */
const drafts = new Map<string, string>();

/** A text field's value kept as a draft under `key` (an empty one is no draft). */
export function useDraft(
  key: string,
): [string, (next: string | ((typed: string) => string)) => void] {
  const [value, setValue] = useState(() => drafts.get(key) ?? '');
  const set = (next: string | ((typed: string) => string)) =>
    setValue((typed) => {
      const text = typeof next === 'function' ? next(typed) : next;
      if (text === '') drafts.delete(key);
      else drafts.set(key, text);
      return text;
    });
  return [value, set];
}

/** Drops every draft: the session ended, or another user signed in in this tab. */
export function clearDrafts(): void {
  drafts.clear();
}
