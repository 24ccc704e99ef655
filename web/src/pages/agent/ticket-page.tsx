import { Alert, Anchor, Grid, Stack, Text } from '@mantine/core';
import { Link, useParams } from 'react-router';
import { ErrorAlert } from '../../ui/error-alert';
import { Loading } from '../../ui/loading';
import { Page } from '../../ui/page';
import { Conversation } from './conversation';
import { TicketActions } from './ticket-actions';
import { TicketBrief } from './ticket-brief';
import { useHeartbeat } from './use-heartbeat';
import { useMyTickets } from './use-my-tickets';

/**
 * One held ticket: the bot's handoff on one side, the conversation and the ways to finish on
 * the other. Read from the agent's tickets (agents have no single-ticket route), so a ticket
 * that is withdrawn or taken back while open turns into a notice here.
 */
export default function TicketPage() {
  const { id = '' } = useParams();
  const tickets = useMyTickets();
  const ticket = tickets.data?.find((t) => t.id === id);
  useHeartbeat(id, ticket !== undefined);

  if (tickets.isPending) return <Loading label="Loading the ticket" />;
  if (tickets.error)
    return <ErrorAlert error={tickets.error} title="The ticket could not be loaded" />;
  if (!ticket) {
    return (
      <Page title="Ticket not on your desk">
        <Alert color="yellow" title="This ticket is not yours now">
          <Text size="sm">
            It was resolved, released, transferred or withdrawn, or it was never yours.{' '}
            <Anchor component={Link} to="/agent/desk">
              Back to the desk
            </Anchor>
          </Text>
        </Alert>
      </Page>
    );
  }
  return (
    <Page title={ticket.subject}>
      <Grid gap="xl">
        <Grid.Col span={{ base: 12, md: 5 }}>
          <TicketBrief ticket={ticket} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Stack gap="xl">
            <Conversation ticketId={ticket.id} />
            <TicketActions ticket={ticket} />
          </Stack>
        </Grid.Col>
      </Grid>
    </Page>
  );
}
