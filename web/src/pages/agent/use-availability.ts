import { useQuery } from '@tanstack/react-query';
import { api, ApiError, unwrap } from '../../api/client';
import { keys } from '../../api/query-keys';

/**
 * The agent's availability on the seat they are checked in on, live now; null when not checked
 * in (the API answers 409 NOT_CHECKED_IN: the desk then says to check in first). Read again on
 * a timer only where it is shown (`poll`); elsewhere once, and again when an event changes it.
 */
export function useAvailability(poll = true) {
  return useQuery({
    queryKey: keys.availability,
    queryFn: async () => {
      try {
        return await unwrap(api.GET('/v1/agents/me/availability'));
      } catch (error) {
        if (error instanceof ApiError && error.code === 'NOT_CHECKED_IN') return null;
        throw error;
      }
    },
    // Not live yet (checked in before the start, say): look again soon, so the desk comes alive
    // when the shift starts without a reload.
    refetchInterval: (query) => (!poll ? false : query.state.data === null ? 10_000 : 60_000),
  });
}
