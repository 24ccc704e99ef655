import { Alert, Anchor, SimpleGrid, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { keys } from '../../api/query-keys';
import { serverNow } from '../../api/server-clock';
import { useReadAgainAfter } from '../../api/use-read-again-after';
import { ErrorAlert } from '../../ui/error-alert';
import { Loading } from '../../ui/loading';
import { Page } from '../../ui/page';
import { formatInstant } from '../../ui/times';
import { AvailabilityCard } from './availability-card';
import { CarriedBreak } from './carried-break';
import { MyTickets } from './my-tickets';
import { OffersPanel } from './offers-panel';
import { TakeNext } from './take-next';
import { useAvailability } from './use-availability';
import { useZone } from './use-profile';
import { WaitingTickets } from './waiting-tickets';

/**
 * The live desk, while checked in on a live shift: availability, offers (push shifts), the
 * next ticket and the waiting ones to pick from (pull shifts), and the tickets held. Offers and ticket changes arrive live.
 */
export default function DeskPage() {
  const availability = useAvailability();
  // No event marks the shift's end: read at once then, not at the next minute's poll (which
  // left "Available for offers" up to a minute past it).
  useReadAgainAfter(keys.availability, availability.data?.shiftEndsAt ?? null);

  return (
    <Page title="Desk">
      {availability.isPending && <Loading label="Loading your shift" />}
      <ErrorAlert error={availability.error} title="Your shift could not be loaded" />
      {availability.data === null && <NotLive />}
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
        <Stack gap="lg">
          {availability.data && (
            <AvailabilityCard
              availability={availability.data}
              // On the API's clock, as the card's `now` is (dataUpdatedAt is the computer's).
              fetchedAt={availability.dataUpdatedAt + serverNow() - Date.now()}
            />
          )}
          {availability.data?.routing === 'pull' && (
            <>
              <TakeNext />
              <WaitingTickets />
            </>
          )}
          {availability.data?.routing === 'push' && (
            <Text size="sm">On this shift work comes to you as offers.</Text>
          )}
          <OffersPanel />
        </Stack>
        <MyTickets />
      </SimpleGrid>
    </Page>
  );
}

/**
 * The desk when no seat is live: checked in early (from CHECK_IN_OPENS_MINUTES before the
 * start) on a shift not begun, it says when the desk opens; else, to check in. It told an agent
 * checked in early to go and check in, whose seats page sent it back here.
 */
function NotLive() {
  const zone = useZone();
  const waiting = useQuery({
    queryKey: [...keys.seats, 'checked-in'],
    queryFn: () =>
      unwrap(api.GET('/v1/agents/me/claims', { params: { query: { status: 'checked_in' } } })),
  });
  const early = waiting.data?.items
    .filter((seat) => Date.parse(seat.startsAt) > serverNow())
    .sort((a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt))[0];
  if (waiting.isPending) return null;
  if (early) {
    return (
      <Alert color="blue" title="You are checked in">
        <Text size="sm">
          On “{early.shiftTitle ?? 'Shift'}” ({early.companyName}): the desk opens when it starts,
          at {formatInstant(early.startsAt, zone)}.
        </Text>
        {early.availability === 'away' && <CarriedBreak />}
      </Alert>
    );
  }
  return (
    <Alert color="blue" title="You are not checked in">
      <Text size="sm">
        The desk works while you are checked in on a shift that is live now.{' '}
        <Anchor component={Link} to="/agent/seats">
          Go to my seats
        </Anchor>{' '}
        to check in.
      </Text>
    </Alert>
  );
}
