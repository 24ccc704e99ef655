// The core's types (react-query's own): a Jest test imports this file, and react-query's types
// bring React's and the DOM's into the root type check, which has no DOM.
import type { QueryClient, QueryKey } from '@tanstack/query-core';

/**
 * What a live event (or a change seen on a polled read) does to the queries it touched:
 * invalidateQueries, without cancelling a read in flight. By default an invalidation cancels a
 * query's read under way and reads again only the pages it already had, so the page a "Load
 * more" had just asked for was dropped, and the click did nothing (it took one event on the
 * finance stream, from any run). Here a read under way lands, then that query is read again
 * whole, since it may have started before the change.
 */
export async function refresh(queryClient: QueryClient, queryKey: QueryKey): Promise<void> {
  const reading = new Set(
    queryClient
      .getQueryCache()
      .findAll({ queryKey })
      .filter((query) => query.state.fetchStatus !== 'idle'),
  );
  // Marks them all stale; reads the others on screen again, and waits for the reads under way.
  await queryClient.invalidateQueries({ queryKey }, { cancelRefetch: false });
  if (reading.size === 0) return;
  await queryClient.refetchQueries(
    { queryKey, type: 'active', predicate: (query) => reading.has(query) },
    { cancelRefetch: false },
  );
}
