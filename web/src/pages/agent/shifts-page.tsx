import { Alert, Anchor, List, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { api, unwrap, type Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { LoadMore } from '../../ui/load-more';
import { Loading } from '../../ui/loading';
import { Page } from '../../ui/page';
import { nextCursor, PAGE_SIZE } from '../../ui/paging';
import { useReadAgainAfter } from '../../api/use-read-again-after';
import { IneligibleShifts } from './ineligible-shifts';
import { OpenShiftCard } from './open-shift-card';

/**
 * Shifts open for claims that the agent is eligible for, soonest first, full ones included (to
 * join their waitlist); then the ones the agent cannot take, with reasons.
 */
export default function ShiftsPage() {
  const shifts = useInfiniteQuery({
    queryKey: keys.openShifts,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/v1/shifts/open', {
          params: {
            query: {
              limit: PAGE_SIZE,
              includeFull: true,
              cursor: pageParam,
              // The shifts the agent cannot take come with the first page only.
              ...(pageParam === undefined && { include: 'ineligible' as const }),
            },
          },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
  });
  const items = shifts.data?.pages.flatMap((page) => page.items) ?? [];
  const first = shifts.data?.pages[0];
  // Early access ending opens a shift to the agent (or to everyone): no event says so, so the
  // list is read again then (it waited for a focus change).
  useReadAgainAfter(keys.openShifts, nextOpenToAll(first?.ineligible ?? []));
  const hints = first?.hints ?? [];

  return (
    <Page title="Open shifts">
      <Stack component="section" aria-labelledby="open-heading">
        <Title order={2} id="open-heading">
          Shifts you can claim
        </Title>
        {shifts.isPending && <Loading label="Loading open shifts" />}
        <ErrorAlert error={shifts.error} title="Open shifts could not be loaded" />
        {shifts.isSuccess && items.length === 0 && (
          <Alert color="blue" title="No shift for you right now">
            {hints.length > 0 ? (
              <List size="sm">
                {hints.map((hint) => (
                  <List.Item key={hint.code}>{hintText(hint)}</List.Item>
                ))}
              </List>
            ) : (
              <Text size="sm">Nothing is open for claims at the moment.</Text>
            )}
          </Alert>
        )}
        <SimpleGrid cols={{ base: 1, lg: 2 }}>
          {items.map((shift) => (
            <OpenShiftCard key={shift.id} shift={shift} />
          ))}
        </SimpleGrid>
        <LoadMore query={shifts} what="shifts" />
      </Stack>
      {first?.ineligible && <IneligibleShifts shifts={first.ineligible} />}
    </Page>
  );
}

/**
 * A hint in the console's words: the API's name the routes to call, which mean nothing here;
 * these say where in the console to go instead.
 */
function hintText(hint: Schemas['OpenShiftsHintDto']): ReactNode {
  const profile = (
    <Anchor component={Link} to="/agent/profile" inherit>
      your profile
    </Anchor>
  );
  switch (hint.code) {
    case 'NO_LANGUAGES':
      return (
        <>
          Your profile lists no languages: shifts that require one are hidden. Add yours on{' '}
          {profile}.
        </>
      );
    case 'NO_SKILLS':
      return <>You have no skills: shifts that require one are hidden. Add yours on {profile}.</>;
    case 'ALREADY_HELD':
      return (
        <>
          You already hold a seat on {hint.count === 1 ? '1 shift' : `${hint.count} shifts`} open
          for claims; those are under{' '}
          <Anchor component={Link} to="/agent/seats" inherit>
            My seats
          </Anchor>
          .
        </>
      );
    default:
      return hint.message;
  }
}

/** The soonest instant early access ends among the shifts the agent cannot take yet. */
function nextOpenToAll(shifts: { reasons: { code: string; openToAllAt?: unknown }[] }[]) {
  const ats = shifts
    .flatMap((shift) => shift.reasons)
    .filter((r) => r.code === 'EARLY_ACCESS' && typeof r.openToAllAt === 'string')
    .map((r) => r.openToAllAt as string)
    .sort();
  return ats[0] ?? null;
}
