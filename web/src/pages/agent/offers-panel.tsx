import { Stack, Text, Title, VisuallyHidden } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, unwrap, type Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { useNow } from '../../ui/use-now';
import { OfferCard } from './offer-card';
import { refresh } from '../../api/refresh';

type Offer = Schemas['PendingOfferDto'];

/**
 * Pending offers, each with its ticket and pay: GET /v1/agents/me/offers, on load and again after
 * each offer event (live-events invalidates it), so an offer reads the same after a reload as when
 * it came live. An offer leaves when answered or run out.
 */
export function OffersPanel() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const now = useNow(1000);
  const listed = useQuery({
    queryKey: keys.offers,
    queryFn: async () => (await unwrap(api.GET('/v1/agents/me/offers'))).items,
  });
  const open = (listed.data ?? []).filter(
    (o) => o.status === 'pending' && new Date(o.expiresAt).getTime() > now - 2000,
  );

  // Said aloud as it comes (a screen reader does not see a card appear): an offer runs out in
  // seconds, and three unanswered set the agent away. Once per offer, not each second, and
  // only offers not listed before: with the newest declined, the one before it is no news.
  const [said, setSaid] = useState('');
  const listedBefore = useRef(new Set<string>());
  const openIds = open.map((o) => o.id).join();
  useEffect(() => {
    const fresh = open.filter((o) => !listedBefore.current.has(o.id)).at(-1);
    for (const o of open) listedBefore.current.add(o.id);
    if (!fresh) return;
    const seconds = Math.max(0, Math.round((new Date(fresh.expiresAt).getTime() - now) / 1000));
    setSaid(`New offer: ${fresh.ticket.subject}. ${seconds} seconds to answer.`);
  }, [openIds]);

  const forget = (id: string) => {
    queryClient.setQueryData<Offer[]>(keys.offers, (all) => all?.filter((o) => o.id !== id));
    void refresh(queryClient, keys.offers);
  };

  return (
    <Stack component="section" aria-labelledby="offers-heading" gap="sm">
      <Title order={2} id="offers-heading" size="h3">
        Offers
      </Title>
      <VisuallyHidden aria-live="assertive" aria-atomic="true" data-testid="offer-announcement">
        {said}
      </VisuallyHidden>
      <ErrorAlert error={listed.error} title="Offers could not be loaded" />
      {listed.isSuccess && open.length === 0 && (
        <Text size="sm">No offer right now. While you are available, offers appear here live.</Text>
      )}
      {open.map((offer) => (
        <OfferCard
          key={offer.id}
          offer={offer}
          onAccepted={(ticket) => {
            forget(offer.id);
            void refresh(queryClient, keys.myTickets);
            navigate(`/agent/tickets/${ticket.id}`);
          }}
          onDeclined={() => forget(offer.id)}
        />
      ))}
    </Stack>
  );
}
