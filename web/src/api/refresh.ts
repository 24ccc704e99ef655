// The core's types (react-query's own): a Jest test imports this file, and react-query's types
// bring React's and the DOM's into the root type check, which has no DOM.
import type { QueryClient, QueryKey } from '@tanstack/query-core';

/**
 * What a live event (or a change seen on a polled read) does to the queries it touched:
 * invalidateQueries, without cancelling a read in flight. By default an invalidation cancels a
 * query's read under way and reads again only the pages it already had, so the page a "Load
 * more" had just asked for was dropped, and the click did nothing (it took one event on the
 * finance stream, from any run). Here a read under way lands first (a page closed meanwhile, or
 * a read paused offline, included), then that query is invalidated like the others: read again
 * whole if on screen, stale if not, since its read may have started before the change.
 */
export async function refresh(queryClient: QueryClient, queryKey: QueryKey): Promise<void> {
  const reading = queryClient
    .getQueryCache()
    .findAll({ queryKey })
    .filter((query) => query.state.fetchStatus !== 'idle');
  const others = queryClient.invalidateQueries(
    { queryKey, predicate: (query) => !reading.includes(query) },
    { cancelRefetch: false },
  );
  if (reading.length === 0) return others;
  // A read cancelled meanwhile (its page replaced by another read) rejects: that is an end too.
  await Promise.all(reading.map((query) => query.promise?.catch(() => undefined)));
  await Promise.all([
    others,
    queryClient.invalidateQueries(
      { queryKey, predicate: (query) => reading.includes(query) },
      { cancelRefetch: false },
    ),
  ]);
}
