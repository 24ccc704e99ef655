import { Alert, Anchor, SimpleGrid, Stack, Text } from '@mantine/core';
import { Link } from 'react-router';
import { serverNow } from '../../api/server-clock';
import { ErrorAlert } from '../../ui/error-alert';
import { Loading } from '../../ui/loading';
import { Page } from '../../ui/page';
import { AvailabilityCard } from './availability-card';
import { MyTickets } from './my-tickets';
import { OffersPanel } from './offers-panel';
import { TakeNext } from './take-next';
import { useAvailability } from './use-availability';

/**
 * The live desk, while checked in on a live shift: availability, offers (push shifts), the
 * next ticket (pull shifts), and the tickets held. Offers and ticket changes arrive live.
 */
export default function DeskPage() {
  const availability = useAvailability();

  return (
    <Page title="Desk">
      {availability.isPending && <Loading label="Loading your shift" />}
      <ErrorAlert error={availability.error} title="Your shift could not be loaded" />
      {availability.data === null && (
        <Alert color="blue" title="You are not checked in">
          <Text size="sm">
            The desk works while you are checked in on a shift that is live now.{' '}
            <Anchor component={Link} to="/agent/seats">
              Go to my seats
            </Anchor>{' '}
            to check in.
          </Text>
        </Alert>
      )}
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
        <Stack gap="lg">
          {availability.data && (
            <AvailabilityCard
              availability={availability.data}
              // On the API's clock, as the card's `now` is (dataUpdatedAt is the computer's).
              fetchedAt={availability.dataUpdatedAt + serverNow() - Date.now()}
            />
          )}
          {availability.data?.routing === 'pull' && <TakeNext />}
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
