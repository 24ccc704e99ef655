import { Button, Center } from '@mantine/core';
import { useEffect, useState } from 'react';

interface Props {
  /** A TanStack infinite query over one of the API's paged lists. */
  query: {
    hasNextPage: boolean;
    isFetching: boolean;
    isPending: boolean;
    isFetchingNextPage: boolean;
    fetchNextPage: () => unknown;
  };
  /** What is being loaded, for the button's name ("Load more seats"). */
  what: string;
}

/**
 * Every list pages with the API's cursor: this asks for the next page, while there is one.
 *
 * A click while the list is being read again (a live event, a write's refresh) waits for that
 * read, then asks: TanStack's fetchNextPage cancels a read under way, so the list kept the pages
 * it had from before the change, and nothing read it again until the next event.
 */
export function LoadMore({ query, what }: Props) {
  const [queued, setQueued] = useState(false);
  const { hasNextPage, isFetching, isPending, fetchNextPage } = query;
  useEffect(() => {
    // Another list meanwhile (a filter changed, read for the first time): not the one clicked.
    if (queued && isPending) setQueued(false);
    if (!queued || isFetching) return;
    setQueued(false);
    // The read that landed may have found no page past the last any more.
    if (hasNextPage) void fetchNextPage();
  }, [queued, isFetching, isPending, hasNextPage, fetchNextPage]);
  if (!hasNextPage) return null;
  return (
    <Center>
      <Button
        variant="default"
        loading={query.isFetchingNextPage || queued}
        onClick={() => (isFetching ? setQueued(true) : void fetchNextPage())}
      >
        Load more {what}
      </Button>
    </Center>
  );
}
