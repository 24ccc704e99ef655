import { Anchor, Card, Group, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { ReadErrorAlert } from '../../ui/error-alert';
import { Loading } from '../../ui/loading';
import { money } from '../../ui/money';
import { surgeText } from './surge';
import { formatInstant } from '../../ui/times';
import { PriorityBadge } from './priority';
import { useMyTickets } from './use-my-tickets';
import { useZone } from './use-profile';

/** The tickets the agent holds, each a link to its conversation. */
export function MyTickets() {
  const tickets = useMyTickets();
  const zone = useZone();
  return (
    <Stack component="section" aria-labelledby="tickets-heading" gap="sm">
      <Title order={2} id="tickets-heading" size="h3">
        My tickets
      </Title>
      {tickets.isPending && <Loading label="Loading your tickets" />}
      <ReadErrorAlert query={tickets} title="Your tickets could not be loaded" />
      {tickets.data?.length === 0 && <Text size="sm">You hold no tickets.</Text>}
      {tickets.data?.map((ticket) => (
        <Card key={ticket.id} withBorder component="article" aria-label={ticket.subject}>
          <Group justify="space-between" wrap="wrap">
            <Anchor
              component={Link}
              to={`/agent/tickets/${ticket.id}`}
              fw={600}
              style={{ overflowWrap: 'anywhere' }}
            >
              {ticket.subject}
            </Anchor>
            <PriorityBadge priority={ticket.effectivePriority} />
          </Group>
          <Text size="sm">
            {money(ticket.pay)}
            {surgeText(ticket.surge, ticket.pay.currency)} when resolved · taken{' '}
            {ticket.claimedAt ? formatInstant(ticket.claimedAt, zone) : ''}
          </Text>
        </Card>
      ))}
    </Stack>
  );
}
