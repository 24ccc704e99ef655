import { Button, Card, Group, Stack, Text, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api, ApiError, unwrap } from '../../api/client';
import { useKeyedMutation } from '../../api/keyed-mutation';
import { keys } from '../../api/query-keys';
import { refresh } from '../../api/refresh';
import { ErrorAlert, RefreshFailedAlert } from '../../ui/error-alert';
import { Loading } from '../../ui/loading';
import { money } from '../../ui/money';
import { RetryingNote } from '../../ui/retrying-note';
import { formatInstant } from '../../ui/times';
import { keepFocusNear } from '../../ui/use-dialog';
import { PriorityBadge } from './priority';
import { Reasons, reasonsOf } from './reasons';
import { surgeText } from './surge';
import { useZone } from './use-profile';

/** How many of the best waiting tickets the desk lists. */
const SHOWN = 10;
/** New escalations have no event for agents: the list is read again this often. */
const READ_EVERY_MS = 15_000;

/**
 * On a pull shift, the tickets waiting that this agent could take now, best first (the order
 * "Take next ticket" takes them in): the agent may pick one instead, say one in a language or a
 * product they know best. One take at a time: it opens the ticket taken.
 */
export function WaitingTickets() {
  const zone = useZone();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const queue = useQuery({
    queryKey: keys.queue,
    // One more than shown: whether more wait than the list holds.
    queryFn: () =>
      unwrap(api.GET('/v1/agents/me/queue', { params: { query: { limit: SHOWN + 1 } } })),
    refetchInterval: READ_EVERY_MS,
  });
  const take = useKeyedMutation({
    mutationFn: (ticketId: string, key) =>
      unwrap(
        api.POST('/v1/tickets/{id}/claim', {
          params: { path: { id: ticketId }, header: { 'Idempotency-Key': key } },
        }),
      ),
    // Refused (taken by someone else meanwhile, at capacity): the list shows what is left; not
    // eligible (the shift ended, a suspension): the desk reads the agent's state again too.
    onError: (error) => {
      if (!(error instanceof ApiError)) return undefined;
      if (error.code === 'NOT_ELIGIBLE') void refresh(queryClient, keys.availability);
      return refresh(queryClient, keys.queue);
    },
    onSuccess: (ticket) => {
      void refresh(queryClient, keys.myTickets);
      void refresh(queryClient, keys.queue);
      navigate(`/agent/tickets/${ticket.id}`);
    },
  });
  const items = queue.data?.items.slice(0, SHOWN) ?? [];
  const more = (queue.data?.items.length ?? 0) > SHOWN;
  const full =
    queue.data !== undefined && queue.data.activeTickets >= queue.data.maxConcurrentTickets;
  const reasons = take.error instanceof ApiError ? reasonsOf(take.error.details) : [];
  return (
    <Stack component="section" aria-labelledby="waiting-heading" gap="xs">
      <Title order={2} id="waiting-heading" size="h3">
        Waiting tickets
      </Title>
      {queue.isPending && <Loading label="Loading the waiting tickets" />}
      {queue.data ? (
        <RefreshFailedAlert error={queue.error} />
      ) : (
        <ErrorAlert error={queue.error} title="The waiting tickets could not be loaded" />
      )}
      {queue.isSuccess && items.length === 0 && (
        <Text size="sm">No ticket you could take is waiting.</Text>
      )}
      {full && items.length > 0 && (
        <Text size="sm">
          You hold {queue.data.maxConcurrentTickets} tickets, as many as you take at once: finish
          one to take another.
        </Text>
      )}
      <RetryingNote retrying={take.retrying} />
      <ErrorAlert error={take.error} title="Not taken" />
      {reasons.length > 0 && <Reasons reasons={reasons} label="Why you cannot take it" />}
      {items.map((ticket) => (
        <Card key={ticket.id} withBorder component="article" aria-label={ticket.subject}>
          <Stack gap={4}>
            <Group justify="space-between" wrap="nowrap" align="flex-start">
              <Text fw={600} style={{ overflowWrap: 'anywhere' }}>
                {ticket.subject}
              </Text>
              <PriorityBadge priority={ticket.effectivePriority} />
            </Group>
            <Text size="sm">
              {ticket.companyName} · {money(ticket.pay)}
              {surgeText(ticket.surge, ticket.pay.currency)} when resolved · waiting since{' '}
              {formatInstant(ticket.createdAt, zone)}
            </Text>
            <Text size="sm" lineClamp={2} style={{ overflowWrap: 'anywhere' }}>
              {ticket.summary}
            </Text>
            <Button
              size="xs"
              variant="default"
              w="fit-content"
              loading={take.isPending && take.variables === ticket.id}
              disabled={full || (take.isPending && take.variables !== ticket.id)}
              onClick={(event) => {
                // Refused, the list is read again and this card may go: focus stays near.
                keepFocusNear(event.currentTarget);
                take.mutate(ticket.id);
              }}
              aria-label={`Take ${ticket.subject}`}
            >
              Take
            </Button>
          </Stack>
        </Card>
      ))}
      {more && (
        <Text size="sm">
          More tickets are waiting than the {SHOWN} best shown here: “Take next ticket” takes them
          in this order.
        </Text>
      )}
    </Stack>
  );
}
