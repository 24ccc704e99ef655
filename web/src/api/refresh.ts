// The core's types (react-query's own): a Jest test imports this file, and react-query's types
// bring React's and the DOM's into the root type check, which has no DOM.
import type { Query, QueryClient, QueryKey } from '@tanstack/query-core';

/** How long a refresh waits for a next page under way before cancelling it (a hung read). */
export const PAGE_WAIT_MS = 10_000;

/**
 * What a write, a live event or a change seen on a polled read does to the queries it touched:
 * invalidateQueries, except that a next page being loaded ("Load more") lands first. By default
 * an invalidation cancels a query's read under way and reads again only the pages it already
 * had, so the page just asked for was dropped, and the click did nothing. Here such a read lands
 * first (a page closed meanwhile, or a read paused offline, included; cancelled after
 * PAGE_WAIT_MS), then its query is invalidated like the others: read again whole if on screen,
 * stale if not, since its read may have started before the change. A whole re-read under way is
 * still cancelled and read again: its answer may predate the change, and it would land over
 * what the caller has just written into the cache (an offer accepted, a ticket resolved).
 */
export async function refresh(
  queryClient: QueryClient,
  queryKey: QueryKey,
  pageWaitMs = PAGE_WAIT_MS,
): Promise<void> {
  const loadingMore = queryClient
    .getQueryCache()
    .findAll({ queryKey })
    .filter((query) => query.state.fetchStatus !== 'idle' && query.state.fetchMeta?.fetchMore);
  const others = queryClient.invalidateQueries({
    queryKey,
    predicate: (query) => !loadingMore.includes(query),
  });
  if (loadingMore.length === 0) return others;
  const landed = await settledWithin(loadingMore, pageWaitMs);
  await Promise.all([
    others,
    queryClient.invalidateQueries(
      { queryKey, predicate: (query) => loadingMore.includes(query) },
      { cancelRefetch: !landed },
    ),
  ]);
}

/** Whether every query's read ended (a cancelled one rejects: that is an end too) in time. */
async function settledWithin(queries: Query[], ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ended = Promise.all(queries.map((query) => query.promise?.catch(() => undefined))).then(
    () => true,
  );
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([ended, late]);
  } finally {
    clearTimeout(timer);
  }
}
