import type { QueryClient } from '@tanstack/query-core';
// The generated schema's own module: ./client reads the window, and a Jest test imports this file.
import type { Schemas } from '../../../src/client/client';
import { keys } from './query-keys';

/**
 * The subjects of the tickets this tab has seen the agent hold, by id: a notice that a ticket
 * left the agent (taken back, withdrawn) names it by its subject even when the held tickets were
 * read again, without it, before its event came (the event carries no subject; the notice then
 * fell back to the bot's conversation id). In this tab's memory only, emptied with the session.
 */
const subjects = new Map<string, string>();

/** Past this many, the longest known are forgotten first (an agent holds at most 10 at once). */
const KEPT = 200;

export function rememberSubjects(tickets: readonly { id: string; subject: string }[]): void {
  for (const { id, subject } of tickets) {
    subjects.delete(id); // re-inserted last: the Map's order is the order of forgetting
    subjects.set(id, subject);
  }
  for (const id of subjects.keys()) {
    if (subjects.size <= KEPT) break;
    subjects.delete(id);
  }
}

/** Forgets every subject: the session ended, or another user signed in in this tab. */
export function forgetSubjects(): void {
  subjects.clear();
}

/**
 * Takes a ticket that left the agent off the held list at once, and gives the name its notice
 * uses: its subject, as held or as last seen held (the list may have been read again, without
 * it, before the event came), else the bot's conversation id.
 */
export function leftName(
  queryClient: QueryClient,
  ticketId: string,
  data: Record<string, unknown>,
): string {
  const subject = subjects.get(ticketId);
  queryClient.setQueryData<Schemas['AgentTicketDto'][]>(keys.myTickets, (list) =>
    list?.filter((t) => t.id !== ticketId),
  );
  return subject !== undefined ? `“${subject}”` : String(data.externalId ?? ticketId);
}
