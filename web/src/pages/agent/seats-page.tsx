import { Anchor, Stack, Text } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { LoadMore } from '../../ui/load-more';
import { Loading } from '../../ui/loading';
import { Page } from '../../ui/page';
import { nextCursor, PAGE_SIZE } from '../../ui/paging';
import { SeatCard } from './seat-card';

/** The agent's seats: check in (from when it opens), check out, or give a seat back. */
export default function SeatsPage() {
  const seats = useInfiniteQuery({
    queryKey: keys.seats,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/v1/agents/me/claims', {
          params: { query: { limit: PAGE_SIZE, cursor: pageParam } },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
  });
  const items = seats.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <Page title="My seats">
      {seats.isPending && <Loading label="Loading your seats" />}
      <ErrorAlert error={seats.error} title="Your seats could not be loaded" />
      {seats.isSuccess && items.length === 0 && (
        <Text>
          You hold no seats.{' '}
          <Anchor component={Link} to="/agent/shifts">
            Find an open shift
          </Anchor>
        </Text>
      )}
      <Stack>
        {items.map((seat) => (
          <SeatCard key={seat.id} seat={seat} />
        ))}
      </Stack>
      <LoadMore query={seats} what="seats" />
    </Page>
  );
}
