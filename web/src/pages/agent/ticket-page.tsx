import { Alert, Anchor, Grid, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api, ApiError, unwrap, type Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ErrorAlert, RefreshFailedAlert } from '../../ui/error-alert';
import { Loading } from '../../ui/loading';
import { Page } from '../../ui/page';
import { Conversation } from './conversation';
import { ResolvedNotice } from './resolved-notice';
import { TicketActions } from './ticket-actions';
import { TicketBrief } from './ticket-brief';
import { useHeartbeat } from './use-heartbeat';
import { useMyTickets } from './use-my-tickets';

type Ticket = Schemas['AgentTicketDto'];

/**
 * One ticket: the bot's handoff on one side, the conversation and the ways to finish on the
 * other. A held ticket comes from the agent's tickets (so one withdrawn or taken back while open
 * turns into a notice); any other is read on its own, and shows read-only if the agent
 * resolved it (earnings link here).
 */
export default function TicketPage() {
  const { id = '' } = useParams();
  // Anew for each ticket: going from one ticket's page to another's (an offer accepted from it)
  // kept the first one's forms, a message typed to one customer ready to go to the next.
  return <OneTicket key={id} id={id} />;
}

function OneTicket({ id }: { id: string }) {
  const tickets = useMyTickets();
  const held = tickets.data?.find((t) => t.id === id);
  useHeartbeat(id, held !== undefined);
  // Read on its own whenever the list (even one whose re-read failed) does not hold it: with a
  // failed re-read it stayed unread, and the page said the ticket was no longer the agent's.
  const listed = tickets.data !== undefined;
  const past = useQuery({
    queryKey: keys.myTicket(id),
    queryFn: () => unwrap(api.GET('/v1/agents/me/tickets/{id}', { params: { path: { id } } })),
    enabled: listed && !held,
    retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
  });

  if (tickets.isPending || (listed && !held && past.isPending)) {
    return <Loading label="Loading the ticket" />;
  }
  // A failed re-read keeps the ticket on screen (and the message being written) with a notice.
  if (tickets.error && !tickets.data)
    return <ErrorAlert error={tickets.error} title="The ticket could not be loaded" />;
  if (held) return <TicketLayout ticket={held} stale={tickets.error} />;
  // Read on its own: by the claim it was read by (an answer kept from before a failed re-read,
  // e.g. the 404 after a withdrawal, no longer counts).
  const claim = past.isError
    ? undefined
    : past.data?.claims.find((c) => c.claimId === past.data.claimId);
  if (past.data && claim?.status === 'active') return <TicketLayout ticket={past.data} />;
  if (past.data && claim?.status === 'resolved')
    return <TicketLayout ticket={past.data} resolved />;
  if (past.error && !(past.error instanceof ApiError && past.error.status === 404)) {
    return <ErrorAlert error={past.error} title="The ticket could not be loaded" />;
  }
  return (
    <Page title="Ticket not on your desk">
      <Alert color="yellow" title="This ticket is not yours now">
        <Text size="sm">
          It was released, transferred, withdrawn or reopened for someone else, or it was never
          yours.{' '}
          <Anchor component={Link} to="/agent/desk">
            Back to the desk
          </Anchor>
        </Text>
      </Alert>
    </Page>
  );
}

function TicketLayout({
  ticket,
  resolved = false,
  stale = null,
}: {
  ticket: Ticket;
  resolved?: boolean;
  /** The error of a re-read that failed: what shows may be out of date. */
  stale?: unknown;
}) {
  return (
    <Page title={ticket.subject}>
      <RefreshFailedAlert error={stale} />
      <Grid gap="xl">
        <Grid.Col span={{ base: 12, md: 5 }}>
          <TicketBrief ticket={ticket} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Stack gap="xl">
            {resolved && <ResolvedNotice ticket={ticket} />}
            <Conversation ticketId={ticket.id} readOnly={resolved} />
            {!resolved && <TicketActions ticket={ticket} />}
          </Stack>
        </Grid.Col>
      </Grid>
    </Page>
  );
}
