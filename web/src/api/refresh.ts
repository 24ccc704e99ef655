// The core's types (react-query's own): a Jest test imports this file, and react-query's types
// bring React's and the DOM's into the root type check, which has no DOM.
import type { Query, QueryClient, QueryKey } from '@tanstack/query-core';

/** How long a refresh waits for a read under way before cancelling it (a hung read). */
export const READ_WAIT_MS = 10_000;

/**
 * What a write, a live event or a change seen on a polled read does to the queries it touched:
 * invalidateQueries, except for the reads under way an invalidation would not replace.
 *
 * - A whole re-read of a list on screen is cancelled and read again (TanStack's default): its
 *   answer may predate the change, and it would land over what the caller has just written into
 *   the cache (an offer accepted, a ticket resolved).
 * - A next page being loaded ("Load more") lands first, then the list is read again whole. By
 *   default the invalidation cancelled it and read again only the pages the list had, so the
 *   click did nothing.
 * - A read the invalidation does not cancel (a list no longer on screen, or one without data
 *   yet, where TanStack joins the read under way) lands first, then the list is invalidated:
 *   read again if on screen, stale if not. Otherwise its answer from before the change counted
 *   as fresh.
 *
 * A read paused offline is waited for too; one that has not ended after `waitMs` is cancelled
 * (back to what the query held before it) and then read again.
 *
 * `waitForReads`: every read under way lands first, then is read again: for what changes as
 * often as it is read (a paying run's lines, its events in bursts), where cancelling each read
 * for the next change left a slow link with none that ever came. No write of the caller's is
 * in the cache for an old answer to land over.
 *
 * `exact`: only the query of that key, not those under it.
 */
export async function refresh(
  queryClient: QueryClient,
  queryKey: QueryKey,
  waitMs = READ_WAIT_MS,
  { waitForReads = false, exact = false }: { waitForReads?: boolean; exact?: boolean } = {},
): Promise<void> {
  const waited = queryClient
    .getQueryCache()
    .findAll({ queryKey, exact })
    .filter(
      (query) =>
        query.state.fetchStatus !== 'idle' &&
        (waitForReads ||
          query.state.fetchMeta?.fetchMore ||
          !query.isActive() ||
          query.state.data === undefined),
    );
  const inWaited = (query: Query) => waited.includes(query);
  const others = queryClient.invalidateQueries({
    queryKey,
    exact,
    predicate: (query) => !inWaited(query),
  });
  if (waited.length === 0) return others;
  // Until none of them reads: one that landed may read again meanwhile ("Load more" pressed on
  // it while another was still waited for), and the invalidation below would only join that.
  const deadline = Date.now() + waitMs;
  let reading = waited;
  while (reading.length > 0 && Date.now() < deadline) {
    await settledWithin(reading, deadline - Date.now());
    reading = waited.filter((query) => query.state.fetchStatus !== 'idle');
  }
  if (reading.length > 0) {
    await queryClient.cancelQueries({ queryKey, predicate: (query) => reading.includes(query) });
  }
  await Promise.all([
    others,
    queryClient.invalidateQueries({ queryKey, predicate: inWaited }, { cancelRefetch: false }),
  ]);
}

/** Waits until every query's read ended (a cancelled one rejects: that is an end too), or `ms`. */
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
