import { withTimeout } from '../../common/scheduling/with-timeout';

/**
 * A value read at scrape time, once per scrape: several gauges come from one query, and
 * prom-client collects every gauge of a scrape at once. The first read of a scrape (`scrape()`
 * names the current one) starts the query; the other gauges of that scrape share its answer, or
 * its failure. Bounded by `timeoutMs`, so a stuck database or Redis fails the scrape's gauges
 * rather than the scrape.
 */
export function scrapeSnapshot<T>(
  scrape: () => number,
  read: () => Promise<T>,
  timeoutMs = 5000,
): () => Promise<T> {
  let cached: { scrape: number; value: Promise<T> } | null = null;
  return () => {
    if (cached?.scrape === scrape()) return cached.value;
    const value = withTimeout(read(), timeoutMs);
    cached = { scrape: scrape(), value };
    // Not an unhandled rejection when no gauge awaits it any more; readers still see it.
    value.catch(() => undefined);
    return value;
  };
}
