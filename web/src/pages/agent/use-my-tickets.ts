import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { rememberSubjects } from '../../api/held-subjects';
import { keys } from '../../api/query-keys';

/**
 * The tickets the agent holds now, in full (transcript included). Not paged by the API: at
 * most the agent's maxConcurrentTickets (10). The desk lists them; a ticket page reads its
 * ticket from here, so a ticket that leaves (withdrawn, released for them) leaves both. Read
 * only while `enabled` (a seat card reads it only while checked in).
 */
export function useMyTickets(enabled = true) {
  return useQuery({
    queryKey: keys.myTickets,
    queryFn: async ({ signal }) => {
      const held = await unwrap(api.GET('/v1/agents/me/tickets'));
      // Not for a read cancelled meanwhile (the session ended: its subjects were forgotten).
      if (!signal.aborted) rememberSubjects(held);
      return held;
    },
    enabled,
  });
}
