import { Paper, Stack, Text, Title, VisuallyHidden } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, unwrap, type Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ReadErrorAlert } from '../../ui/error-alert';
import { setWaitingOffers } from '../../ui/tab-title';
import { useNow } from '../../ui/use-now';
import { OfferCard } from './offer-card';
import { useAvailability } from './use-availability';
import { useMyTickets } from './use-my-tickets';
import { useProfile } from './use-profile';
import { streamHeardWithin } from '../../api/event-stream';
import { refresh } from '../../api/refresh';

type Offer = Schemas['PendingOfferDto'];

/** A stream silent this long gets its offers read by the page too (heartbeats: 15 s). */
const QUIET_STREAM_MS = 18_000;

/** Offers said aloud in this tab: one is not said again as the agent goes from page to page. */
const announced = new Set<string>();

/**
 * Pending offers, each with its ticket and pay: GET /v1/agents/me/offers, on load and again after
 * each offer event (live-events invalidates it), so an offer reads the same after a reload as when
 * it came live. An offer leaves when answered or run out.
 *
 * On the desk it is a section of its own. `elsewhere` (every other agent page, AgentFrame): only
 * while an offer waits, held at the top of the window as the page scrolls. An agent writing on
 * one ticket gets offers of the next (up to its limit), and one it never saw ran out unanswered:
 * three set the agent away.
 */
export function OffersPanel({ elsewhere = false }: { elsewhere?: boolean }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const now = useNow(1000);
  const headingRef = useRef<HTMLHeadingElement>(null);
  // The seat (elsewhere: read once, and again on events; not on the desk's timer).
  const seat = useAvailability(!elsewhere).data;
  // At the limit (tickets of any company count), the router offers nothing: said so on the
  // desk of an available agent on a push shift, rather than that offers appear while available.
  const limit = useProfile().data?.maxConcurrentTickets;
  const offered = seat?.routing === 'push' && seat.status === 'available';
  const held = useMyTickets(offered).data?.length;
  const full = offered && limit !== undefined && held !== undefined && held >= limit;
  // While offers may come and the stream has carried nothing past a heartbeat (15 s by
  // default) and a margin, read them at once and then every 5 s: a stream dead on the way is
  // found only after 45 s, and an offer can run out in 10. A live stream costs nothing more
  // (the panel is drawn again each second: `now`).
  const quiet = offered && !full && !streamHeardWithin(QUIET_STREAM_MS);
  const listed = useQuery({
    queryKey: keys.offers,
    queryFn: async () => (await unwrap(api.GET('/v1/agents/me/offers'))).items,
    refetchInterval: quiet ? 5_000 : false,
  });
  useEffect(() => {
    if (quiet) void listed.refetch();
  }, [quiet]);
  const open = (listed.data ?? []).filter(
    (o) => o.status === 'pending' && new Date(o.expiresAt).getTime() > now - 2000,
  );

  // Said aloud as it comes (a screen reader does not see a card appear): an offer runs out in
  // seconds, and three unanswered set the agent away. Once per offer, not each second, and
  // only offers not listed before: with the newest declined, the one before it is no news. An
  // offer that goes unanswered by this page (run out, withdrawn) is said too.
  // The same words twice (one bot's subject in two offers) are made to differ, unseen: a live
  // region reads a change, and the same text is none.
  const [said, setSaidText] = useState('');
  const setSaid = (text: string) => setSaidText((last) => (last === text ? `${text}\u200b` : text));
  const listedBefore = useRef(new Map<string, Offer>());
  const answered = useRef(new Set<string>());
  const openIds = open.map((o) => o.id).join();
  useEffect(() => {
    const fresh = open.filter((o) => !announced.has(o.id)).at(-1);
    for (const o of open) announced.add(o.id);
    const gone = [...listedBefore.current.values()].filter(
      (o) => !open.some((still) => still.id === o.id) && !answered.current.has(o.id),
    );
    listedBefore.current = new Map(open.map((o) => [o.id, o]));
    if (fresh) {
      const seconds = Math.max(0, Math.round((new Date(fresh.expiresAt).getTime() - now) / 1000));
      setSaid(`New offer: ${fresh.ticket.subject}. ${seconds} seconds to answer.`);
    } else if (gone.length > 0) {
      const last = gone[gone.length - 1];
      const ranOut = new Date(last.expiresAt).getTime() <= now;
      setSaid(`Offer gone: ${last.ticket.subject}, ${ranOut ? 'run out' : 'withdrawn'}.`);
    }
  }, [openIds]);

  // Counted in the tab's title, so an agent in another tab sees one come.
  const waiting = open.filter((o) => new Date(o.expiresAt).getTime() > now).length;
  useEffect(() => setWaitingOffers(waiting), [waiting]);
  useEffect(() => () => setWaitingOffers(0), []);

  const forget = (id: string) => {
    answered.current.add(id);
    queryClient.setQueryData<Offer[]>(keys.offers, (all) => all?.filter((o) => o.id !== id));
    void refresh(queryClient, keys.offers);
  };
  // A card gone with the focus in it: the focus goes to the offers' heading, or, with the last
  // offer gone from another page, to the page itself; unless something took it meanwhile (the
  // accepted ticket's page).
  const refocus = () => {
    const from = window.location.pathname;
    setTimeout(() => {
      // Another page opened meanwhile: its heading takes the focus (Page).
      if (window.location.pathname !== from) return;
      if (document.activeElement !== null && document.activeElement !== document.body) return;
      const target = headingRef.current ?? document.querySelector<HTMLElement>('main');
      if (!target) return;
      if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
      target.focus();
    });
  };

  const announcement = (
    <VisuallyHidden aria-live="assertive" aria-atomic="true" data-testid="offer-announcement">
      {said}
    </VisuallyHidden>
  );
  const cards = open.map((offer) => (
    <OfferCard
      key={offer.id}
      offer={offer}
      onAccepted={(ticket) => {
        forget(offer.id);
        void refresh(queryClient, keys.myTickets);
        navigate(`/agent/tickets/${ticket.id}`);
      }}
      onDeclined={() => forget(offer.id)}
      // A refusal's notice says why it went: not said again as gone.
      onGone={() => answered.current.add(offer.id)}
      onLeftWithFocus={refocus}
    />
  ));

  if (elsewhere) {
    return (
      <>
        {announcement}
        {open.length > 0 && (
          <Paper
            component="section"
            aria-labelledby="offers-heading"
            withBorder
            shadow="sm"
            p="sm"
            mb="md"
            pos="sticky"
            top="calc(var(--app-shell-header-height, 56px) + var(--mantine-spacing-xs))"
            // Under the header and the phone's navigation (100, 101); at most half the
            // window, scrolling within, so several offers never hide the page.
            mah="50vh"
            style={{ zIndex: 99, overflowY: 'auto' }}
          >
            <Stack gap="sm">
              <Title order={2} id="offers-heading" size="h3" ref={headingRef}>
                {open.length === 1 ? 'An offer for you' : `${open.length} offers for you`}
              </Title>
              {cards}
            </Stack>
          </Paper>
        )}
      </>
    );
  }
  return (
    <Stack component="section" aria-labelledby="offers-heading" gap="sm">
      <Title order={2} id="offers-heading" size="h3" ref={headingRef}>
        Offers
      </Title>
      {announcement}
      <ReadErrorAlert query={listed} title="Offers could not be loaded" />
      {listed.isSuccess && open.length === 0 && (
        <Text size="sm">
          {full && !elsewhere
            ? `You hold ${held} ${held === 1 ? 'ticket' : 'tickets'}, as many as you take at ` +
              'once: offers come again once you finish one.'
            : 'No offer right now. While you are available, offers appear here live.'}
        </Text>
      )}
      {cards}
    </Stack>
  );
}
