import { InfiniteQueryObserver, QueryClient, QueryObserver } from '@tanstack/query-core';
import { refresh } from '../web/src/api/refresh';

/**
 * The console's live refresh (web/src/api/refresh.ts) against TanStack Query itself: a page of
 * a paged list being loaded when an event comes is kept, and the list is then read again whole.
 */
describe('a live refresh while a next page loads', () => {
  let client: QueryClient;
  afterEach(() => client.clear());

  it('keeps the page being loaded, then reads every page again', async () => {
    client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    // The server's list: pages of two items; `version` moves when "the event" changes it.
    let version = 1;
    const reads: number[] = [];
    let holdPage: ((release: () => void) => void) | null = null;
    const observer = new InfiniteQueryObserver(client, {
      queryKey: ['finance', 'payout-runs', 'r1', 'lines'],
      initialPageParam: 0,
      getNextPageParam: (_last: string[], pages: string[][]) =>
        pages.length < 3 ? pages.length : undefined,
      queryFn: async ({ pageParam }: { pageParam: number }) => {
        reads.push(pageParam);
        const seen = version;
        if (pageParam === 2 && holdPage) await new Promise<void>((r) => holdPage!(r));
        return [`p${pageParam}a v${seen}`, `p${pageParam}b v${seen}`];
      },
    });
    const unsubscribe = observer.subscribe(() => undefined);
    try {
      await observer.refetch(); // page 0, read on subscribe
      await observer.fetchNextPage(); // page 1
      expect(observer.getCurrentResult().data?.pages).toHaveLength(2);

      // "Load more" asks for page 2; its answer is slow.
      let release!: () => void;
      const asked = new Promise<void>((r) => {
        holdPage = (go) => {
          release = go;
          r();
        };
      });
      const loading = observer.fetchNextPage();
      await asked;
      // An event changes the list while that page is on its way.
      version = 2;
      reads.length = 0;
      const refreshed = refresh(client, ['finance', 'payout-runs']);
      holdPage = null;
      release();
      await loading;
      await refreshed;

      const pages = observer.getCurrentResult().data?.pages ?? [];
      // The clicked page stayed (TanStack's default invalidation cancelled it: two pages)…
      expect(pages).toHaveLength(3);
      // …and every page was read again after the change.
      expect(pages.flat()).toEqual(['p0a v2', 'p0b v2', 'p1a v2', 'p1b v2', 'p2a v2', 'p2b v2']);
      expect(reads).toEqual([0, 1, 2]);
    } finally {
      unsubscribe();
    }
  });

  it('leaves a list stale whose page was closed while its next page loaded', async () => {
    client = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: 60_000 } } });
    const key = ['finance', 'payout-runs', 'r2', 'lines'];
    let release!: () => void;
    let hold = false;
    const observer = new InfiniteQueryObserver(client, {
      queryKey: key,
      initialPageParam: 0,
      getNextPageParam: (_last: string[], pages: string[][]) => pages.length,
      queryFn: async ({ pageParam }: { pageParam: number }) => {
        if (hold) await new Promise<void>((r) => (release = r));
        return [`p${pageParam}`];
      },
    });
    const unsubscribe = observer.subscribe(() => undefined);
    await observer.refetch();
    hold = true;
    const loading = observer.fetchNextPage();
    unsubscribe(); // the page is left while its next page loads
    const refreshed = refresh(client, ['finance', 'payout-runs']);
    release();
    await loading;
    await refreshed;
    // Its read started before the change: the next page opened must read it again.
    expect(client.getQueryState(key)?.isInvalidated).toBe(true);
  });

  it('reads a list that was not loading once, as an invalidation does', async () => {
    client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    let reads = 0;
    const observer = new InfiniteQueryObserver(client, {
      queryKey: ['finance', 'payout-runs'],
      initialPageParam: 0,
      getNextPageParam: () => undefined,
      queryFn: () => Promise.resolve([`read ${++reads}`]),
    });
    const unsubscribe = observer.subscribe(() => undefined);
    try {
      await observer.refetch();
      const before = reads;
      await refresh(client, ['finance', 'payout-runs']);
      expect(reads).toBe(before + 1);
      expect(observer.getCurrentResult().data?.pages).toEqual([[`read ${before + 1}`]]);
    } finally {
      unsubscribe();
    }
  });
  it('cancels a whole re-read under way: its older answer never lands over what the caller just wrote', async () => {
    client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const key = ['agent', 'offers'];
    let server = ['offer 1', 'offer 2'];
    let hold: Promise<void> | null = null;
    const observer = new QueryObserver(client, {
      queryKey: key,
      queryFn: async () => {
        const seen = [...server];
        if (hold) await hold;
        return seen;
      },
    });
    const shown: string[][] = [];
    const unsubscribe = observer.subscribe((result) => {
      if (result.data) shown.push(result.data);
    });
    try {
      await observer.refetch();
      // A live event's re-read is under way, read before the accept committed.
      let release!: () => void;
      hold = new Promise<void>((r) => (release = r));
      const stale = observer.refetch();
      // The offer is accepted: the console drops it at once, then refreshes.
      server = ['offer 2'];
      client.setQueryData(key, ['offer 2']);
      const shownFrom = shown.length;
      hold = null;
      const refreshed = refresh(client, key);
      release();
      await stale.catch(() => undefined);
      await refreshed;
      expect(shown.slice(shownFrom).every((list) => !list.includes('offer 1'))).toBe(true);
      expect(observer.getCurrentResult().data).toEqual(['offer 2']);
    } finally {
      unsubscribe();
    }
  });

  it('cancels a next page that does not come within the wait, and reads the list again', async () => {
    client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const key = ['company', 'deliveries'];
    const reads: number[] = [];
    let hangOn = -1; // the page whose read never answers, once
    const observer = new InfiniteQueryObserver(client, {
      queryKey: key,
      initialPageParam: 0,
      getNextPageParam: (_last: string[], pages: string[][]) => pages.length,
      queryFn: async ({ pageParam, signal }: { pageParam: number; signal: AbortSignal }) => {
        reads.push(pageParam);
        if (pageParam === hangOn) {
          hangOn = -1;
          await new Promise((_, reject) => signal.addEventListener('abort', reject));
        }
        return [`p${pageParam}`];
      },
    });
    const unsubscribe = observer.subscribe(() => undefined);
    try {
      await observer.refetch();
      hangOn = 1;
      const loading = observer.fetchNextPage();
      await new Promise((r) => setTimeout(r, 0));
      expect(hangOn).toBe(-1); // its read began
      reads.length = 0;
      await refresh(client, key, 50);
      await loading.catch(() => undefined);
      expect(reads).toEqual([0]); // the hung page given up, the page it had read again
      expect(observer.getCurrentResult().data?.pages).toEqual([['p0']]);
    } finally {
      unsubscribe();
    }
  });
  it('leaves a closed list stale whose whole re-read was under way: its older answer does not count as fresh', async () => {
    client = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: 60_000 } } });
    const key = ['company', 'tickets'];
    let release!: () => void;
    let hold = false;
    const observer = new QueryObserver(client, {
      queryKey: key,
      queryFn: async () => {
        if (hold) await new Promise<void>((r) => (release = r));
        return ['as before the change'];
      },
    });
    const unsubscribe = observer.subscribe(() => undefined);
    await observer.refetch();
    hold = true;
    const rereading = observer.refetch();
    unsubscribe(); // the page is left while its list is read again
    const refreshed = refresh(client, key);
    release();
    await rereading;
    await refreshed;
    // TanStack's invalidation neither cancels nor re-reads a list off screen: the answer landed
    // after it and cleared the mark, and the next visit showed it as fresh for a minute.
    expect(client.getQueryState(key)?.isInvalidated).toBe(true);
  });

  it('with waitForReads, lets a whole re-read on screen land, then reads again: a slower link than its changes still gets answers', async () => {
    client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const key = ['finance', 'payout-runs', 'r3', 'lines'];
    let version = 1;
    let answered = 0;
    let release!: () => void;
    let hold = false;
    const observer = new QueryObserver(client, {
      queryKey: key,
      queryFn: async () => {
        const seen = version;
        if (hold) await new Promise<void>((r) => (release = r));
        answered += 1;
        return `v${seen}`;
      },
    });
    const unsubscribe = observer.subscribe(() => undefined);
    try {
      await observer.refetch();
      hold = true;
      const rereading = observer.refetch(); // slow: still under way at the next change
      version = 2;
      const refreshed = refresh(client, key, 5_000, { waitForReads: true });
      hold = false;
      release();
      await rereading;
      await refreshed;
      // The read under way was answered (not cancelled), and the change read after it.
      expect(answered).toBe(3);
      expect(observer.getCurrentResult().data).toBe('v2');
    } finally {
      unsubscribe();
    }
  });

  it('with waitForReads, gives up a read that hangs past its wait, and reads again', async () => {
    client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const key = ['finance', 'payout-runs', 'r4', 'lines'];
    let hang = false;
    const observer = new QueryObserver(client, {
      queryKey: key,
      queryFn: async ({ signal }) => {
        if (hang) {
          hang = false;
          await new Promise<void>((_, reject) =>
            signal.addEventListener('abort', () => reject(new Error('cancelled'))),
          );
        }
        return 'read again';
      },
    });
    const unsubscribe = observer.subscribe(() => undefined);
    try {
      await observer.refetch();
      hang = true;
      void observer.refetch();
      await refresh(client, key, 50, { waitForReads: true });
      expect(observer.getCurrentResult().data).toBe('read again');
      expect(client.getQueryState(key)?.fetchStatus).toBe('idle');
    } finally {
      unsubscribe();
    }
  });
});
