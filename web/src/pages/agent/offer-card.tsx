import { Button, Card, Group, Progress, Stack, Text, TextInput, Title } from '@mantine/core';
import { useId, useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { useKeyedMutation } from '../../api/keyed-mutation';
import { ErrorAlert } from '../../ui/error-alert';
import { RetryingNote } from '../../ui/retrying-note';
import { problemOf } from '../../ui/form-errors';
import { money } from '../../ui/money';
import { surgeText } from './surge';
import { keepFocusNear } from '../../ui/use-dialog';
import { useNow } from '../../ui/use-now';
import { PriorityBadge } from './priority';

interface Props {
  /** A pending offer with its ticket as the queue shows it, and what resolving it pays. */
  offer: Schemas['PendingOfferDto'];
  onAccepted: (ticket: Schemas['AgentTicketDto']) => void;
  onDeclined: () => void;
}

/**
 * A ticket held for this agent for a few seconds: accept it (a claim), or decline with a reason.
 * An accept whose answer was lost, sent again, goes under the same Idempotency-Key; after a final
 * answer the key is new, so an accept refused at capacity can be tried again once a ticket is
 * done (under the offer id as its key for good, the stored refusal came back every time).
 */
export function OfferCard({ offer, onAccepted, onDeclined }: Props) {
  const headingId = useId();
  const now = useNow(250);
  const [declining, setDeclining] = useState(false);
  const [reason, setReason] = useState('');
  const { ticket } = offer;
  const expiresAt = new Date(offer.expiresAt).getTime();
  // The shift's offer time: the offer runs from its creation to its expiry.
  const total = Math.max(1, Math.round((expiresAt - new Date(offer.createdAt).getTime()) / 1000));
  const left = Math.max(0, Math.ceil((expiresAt - now) / 1000));

  const accept = useKeyedMutation({
    mutationFn: (offerId: string, key) =>
      unwrap(
        api.POST('/v1/offers/{id}/accept', {
          params: { path: { id: offerId }, header: { 'Idempotency-Key': key } },
        }),
      ),
    onSuccess: onAccepted,
  });
  const decline = useKeyedMutation({
    mutationFn: ({ offerId, reason }: { offerId: string; reason: string }, key) =>
      unwrap(
        api.POST('/v1/offers/{id}/decline', {
          params: { path: { id: offerId }, header: { 'Idempotency-Key': key } },
          body: { reason },
        }),
      ),
    onSuccess: onDeclined,
  });
  const declineErrors = problemOf(decline.error, ['reason']);

  return (
    <Card withBorder component="article" aria-labelledby={headingId}>
      <Stack gap="xs">
        <Group justify="space-between" wrap="nowrap" align="flex-start">
          <Title order={3} size="h4" id={headingId}>
            Offer: {ticket.subject}
          </Title>
          <PriorityBadge priority={ticket.effectivePriority} />
        </Group>
        <Text size="sm">{ticket.companyName}</Text>
        <Text size="sm">{ticket.summary}</Text>
        <Text size="sm">
          Pays {money(ticket.pay)}
          {surgeText(ticket.surge, ticket.pay.currency)} when resolved
        </Text>
        <Progress
          value={Math.min(100, (left / total) * 100)}
          aria-label="Time left to answer the offer"
        />
        <Text size="sm">{left > 0 ? `${left} s left to answer` : 'The offer has run out'}</Text>
        <RetryingNote retrying={accept.retrying || decline.retrying} />
        <ErrorAlert error={accept.error} title="Not accepted" />
        {declining && (
          <TextInput
            label="Why are you declining?"
            value={reason}
            onChange={(event) => setReason(event.currentTarget.value)}
            error={declineErrors?.field('reason')}
          />
        )}
        <ErrorAlert error={decline.error} inputs={['reason']} title="Not declined" />
        <Group>
          <Button
            loading={accept.isPending}
            disabled={left === 0}
            onClick={() => accept.mutate(offer.id)}
          >
            Accept
          </Button>
          {declining ? (
            <Button
              variant="default"
              loading={decline.isPending}
              disabled={left === 0}
              onClick={(event) => {
                // The card goes once declined: focus stays near the offers.
                keepFocusNear(event.currentTarget);
                decline.mutate({ offerId: offer.id, reason });
              }}
            >
              Decline offer
            </Button>
          ) : (
            <Button variant="default" disabled={left === 0} onClick={() => setDeclining(true)}>
              Decline
            </Button>
          )}
        </Group>
      </Stack>
    </Card>
  );
}
