import { Button, Card, Group, Progress, Stack, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useId, useLayoutEffect, useRef, useState } from 'react';
import { api, ApiError, unwrap, type Schemas } from '../../api/client';
import { useKeyedMutation } from '../../api/keyed-mutation';
import { keys } from '../../api/query-keys';
import { refresh } from '../../api/refresh';
import { ErrorAlert } from '../../ui/error-alert';
import { RetryingNote } from '../../ui/retrying-note';
import { problemOf } from '../../ui/form-errors';
import { money } from '../../ui/money';
import { surgeText } from './surge';
import { keepFocusNear } from '../../ui/use-dialog';
import { useNow } from '../../ui/use-now';
import { PriorityBadge } from './priority';
import { reasonsOf, useReasonText } from './reasons';

interface Props {
  /** A pending offer with its ticket as the queue shows it, and what resolving it pays. */
  offer: Schemas['PendingOfferDto'];
  onAccepted: (ticket: Schemas['AgentTicketDto']) => void;
  onDeclined: () => void;
  /** An accept was refused for good: the card goes with a notice saying why. */
  onGone: () => void;
  /** The card went (answered, run out, withdrawn) with the keyboard's focus in it. */
  onLeftWithFocus: () => void;
}

/** An accept refused because the offer is gone for good: said in a notice, as the card goes. */
const GONE = new Set([
  'OFFER_NOT_PENDING',
  'OFFER_EXPIRED',
  'NOT_ELIGIBLE',
  'TICKET_ALREADY_CLAIMED',
  'TICKET_NOT_OPEN',
  'NOT_FOUND',
]);

/**
 * A ticket held for this agent for a few seconds: accept it (a claim), or decline with a reason.
 * An accept whose answer was lost, sent again, goes under the same Idempotency-Key; after a final
 * answer the key is new, so an accept refused at capacity can be tried again once a ticket is
 * done (under the offer id as its key for good, the stored refusal came back every time).
 */
export function OfferCard({ offer, onAccepted, onDeclined, onGone, onLeftWithFocus }: Props) {
  const queryClient = useQueryClient();
  const reasonText = useReasonText();
  const headingId = useId();
  const cardRef = useRef<HTMLDivElement>(null);
  const now = useNow(250);
  const [declining, setDeclining] = useState(false);
  const [reason, setReason] = useState('');
  const { ticket } = offer;
  const expiresAt = new Date(offer.expiresAt).getTime();
  // The shift's offer time: the offer runs from its creation to its expiry.
  const total = Math.max(1, Math.round((expiresAt - new Date(offer.createdAt).getTime()) / 1000));
  const left = Math.max(0, Math.ceil((expiresAt - now) / 1000));
  const over = left === 0;

  // Run out, its buttons are disabled and the card goes 2 s later (a withdrawn one at once): the
  // focus in it moves to the card, then beside it (onLeftWithFocus), not to the page's start.
  useLayoutEffect(() => {
    const card = cardRef.current;
    if (over && card?.contains(document.activeElement)) card.focus();
  }, [over]);
  // Accepted, the ticket's page opens, and its heading takes the focus.
  const accepted = useRef(false);
  useLayoutEffect(() => {
    const card = cardRef.current;
    // Run before React takes the card out of the page: the focus is still in it, if it was.
    return () => {
      if (!accepted.current && card?.contains(document.activeElement)) onLeftWithFocus();
    };
  }, []);

  const accept = useKeyedMutation({
    mutationFn: (offerId: string, key) =>
      unwrap(
        api.POST('/v1/offers/{id}/accept', {
          params: { path: { id: offerId }, header: { 'Idempotency-Key': key } },
        }),
      ),
    onSuccess: (ticket) => {
      accepted.current = true;
      onAccepted(ticket);
    },
    // Refused, the offers and tickets are read again: an offer gone for good (accepted in
    // another window, withdrawn as the agent's skills changed, run out) leaves at once, with a
    // notice that outlives its card; at the ticket limit it stays, to be tried again.
    onError: (error) => {
      if (!(error instanceof ApiError) || !error.code || !GONE.has(error.code)) return;
      onGone();
      void refresh(queryClient, keys.offers);
      void refresh(queryClient, keys.myTickets);
      if (error.code === 'NOT_ELIGIBLE') void refresh(queryClient, keys.availability);
      notifications.show({
        color: 'orange',
        autoClose: false,
        title: 'Offer not accepted',
        message: refusal(error, `“${ticket.subject}”`, reasonText),
      });
    },
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
    <Card withBorder component="article" aria-labelledby={headingId} ref={cardRef} tabIndex={-1}>
      <Stack gap="xs">
        <Group justify="space-between" wrap="nowrap" align="flex-start">
          <Title order={3} size="h4" id={headingId} style={{ overflowWrap: 'anywhere' }}>
            Offer: {ticket.subject}
          </Title>
          <PriorityBadge priority={ticket.effectivePriority} />
        </Group>
        <Text size="sm">{ticket.companyName}</Text>
        <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
          {ticket.summary}
        </Text>
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
        {!(accept.error instanceof ApiError && GONE.has(accept.error.code ?? '')) && (
          <ErrorAlert error={accept.error} title="Not accepted" />
        )}
        {declining && (
          <TextInput
            label="Why are you declining?"
            value={reason}
            // Shown by the press on Decline: typed into at once (an offer may have 10 s left).
            autoFocus
            disabled={over}
            onChange={(event) => setReason(event.currentTarget.value)}
            error={declineErrors?.field('reason')}
          />
        )}
        <ErrorAlert error={decline.error} inputs={['reason']} title="Not declined" />
        <Group>
          <Button
            loading={accept.isPending}
            disabled={over}
            onClick={() => accept.mutate(offer.id)}
          >
            Accept
          </Button>
          {declining ? (
            <Button
              variant="default"
              loading={decline.isPending}
              // Not with no reason (the API's refusal): a double press on Decline came here.
              disabled={over || reason.trim() === ''}
              onClick={(event) => {
                // The card goes once declined: focus stays near the offers.
                keepFocusNear(event.currentTarget);
                decline.mutate({ offerId: offer.id, reason });
              }}
            >
              Decline offer
            </Button>
          ) : (
            <Button variant="default" disabled={over} onClick={() => setDeclining(true)}>
              Decline
            </Button>
          )}
        </Group>
      </Stack>
    </Card>
  );
}

/** Why an accept was refused for good, in words (`name`: the ticket's subject, quoted). */
function refusal(error: ApiError, name: string, reasonText: (reason: unknown) => string): string {
  const status = (error.details as { status?: string } | null)?.status;
  switch (error.code) {
    case 'OFFER_NOT_PENDING':
      if (status === 'accepted') return `You had accepted ${name} already: it is under My tickets.`;
      if (status === 'declined') return `You had declined ${name} already.`;
      if (status === 'expired') return `The offer of ${name} ran out before your answer.`;
      return `The offer of ${name} was withdrawn before your answer.`;
    case 'OFFER_EXPIRED':
      return `The offer of ${name} ran out before your answer.`;
    case 'NOT_ELIGIBLE': {
      const why = reasonsOf(error.details).map(reasonText).join('; ');
      return `You can no longer take ${name}${why ? `: ${why}` : ''}.`;
    }
    default:
      return `${name} is no longer waiting for you.`;
  }
}
