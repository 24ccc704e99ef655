import { Alert, Badge, Button, Card, Group, Stack, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQueryClient, type InfiniteData } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { api, ApiError, unwrap, type Schemas } from '../../api/client';
import { useKeyedMutation } from '../../api/keyed-mutation';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { problemOf } from '../../ui/form-errors';
import { keepFocusNear } from '../../ui/use-dialog';
import { RetryingNote } from '../../ui/retrying-note';
import { Reasons, reasonsOf } from './reasons';
import { seatRefusal } from './seat-refusals';
import { ShiftFacts } from './shift-facts';
import { useZone } from './use-profile';
import { refresh as reread } from '../../api/refresh';
import { formatInstant } from '../../ui/times';

type Shift = Schemas['OpenShiftDto'];
type OpenShiftsPage = { items: Shift[] };
/** A claim of the shift as the card shows it. */
type ClaimOf = Pick<Shift, 'id' | 'startsAt' | 'endsAt' | 'ratePerTicket'>;

/**
 * One open shift: claim a seat, or join the waitlist when it is full (and see your place in line,
 * or leave it, after a reload too). Each press carries its own Idempotency-Key, and its retries
 * after a lost answer the same one (useKeyedMutation), so a retried request cannot take two seats.
 */
export function OpenShiftCard({ shift }: { shift: Shift }) {
  const queryClient = useQueryClient();
  const headingId = useId();
  const zone = useZone();
  // What the last join or leave answered, until the list is read again (then the API's word).
  const [answered, setAnswered] = useState<{
    position: number | null;
    closesAt: string | null;
  } | null>(null);
  useEffect(() => setAnswered(null), [shift.waitlistPosition]);
  const position = answered ? answered.position : shift.waitlistPosition;
  const lineClosesAt = answered ? answered.closesAt : shift.waitlistClosesAt;
  const params = (id: string, key: string) => ({
    path: { id },
    header: { 'Idempotency-Key': key },
  });
  // Returned to the mutation, so that its button stays busy until the lists are read again:
  // enabled in between, a second click met the seat just taken.
  const refresh = () =>
    Promise.all([reread(queryClient, keys.openShifts), reread(queryClient, keys.seats)]);
  // A refusal (the last seat went meanwhile, or seats came free) reads the lists again too, so
  // the card offers what is possible now; a lost answer does not (the retry, under the same
  // key, learns what happened: the seat, not 409 ALREADY_CLAIMED reported as "could not claim").
  // The re-read may drop this card (claims closed, the shift cancelled), and its alert with it:
  // the refusal is then said in a notification, which outlives the card.
  const refusedBy = (title: string) => async (error: unknown) => {
    if (!(error instanceof ApiError)) return;
    await refresh();
    const pages = queryClient.getQueryData<InfiniteData<OpenShiftsPage>>(keys.openShifts)?.pages;
    if (pages?.some((page) => page.items.some((listed) => listed.id === shift.id))) return;
    notifications.show({
      color: 'red',
      title: `${title}: ${shift.title ?? shift.companyName}`,
      message: seatRefusal(error, zone) ?? problemOf(error)?.message ?? error.message,
      closeButtonProps: { 'aria-label': 'Dismiss' },
    });
  };
  const claim = useKeyedMutation({
    // With the shift as shown: a company's change since (another window, a lower rate) is
    // refused (SHIFT_CHANGED) rather than a seat taken on terms the agent never read.
    mutationFn: ({ id, ...shown }: ClaimOf, key) =>
      unwrap(api.POST('/v1/shifts/{id}/claims', { params: params(id, key), body: shown })),
    onError: refusedBy('Could not claim'),
    onSuccess: () => {
      notifications.show({
        color: 'green',
        message: `Seat claimed: ${shift.title ?? shift.companyName}`,
      });
      return refresh();
    },
  });
  const waitlist = useKeyedMutation({
    mutationFn: (id: string, key) =>
      unwrap(api.POST('/v1/shifts/{id}/waitlist', { params: params(id, key) })),
    onError: refusedBy('Could not join the waitlist'),
    onSuccess: (answer) => {
      setAnswered({ position: answer.position, closesAt: answer.closesAt });
      return refresh();
    },
  });
  const leave = useKeyedMutation({
    mutationFn: (id: string, key) =>
      unwrap(api.DELETE('/v1/shifts/{id}/waitlist', { params: params(id, key) })),
    // Left already (in another tab): the re-read shows the card without its place in line.
    onError: refusedBy('Could not leave the waitlist'),
    onSuccess: () => {
      setAnswered({ position: null, closesAt: null });
      notifications.show({ message: `You left the waitlist: ${shift.title ?? shift.companyName}` });
      return refresh();
    },
  });
  const error = claim.error ?? waitlist.error ?? leave.error;
  const reasons = error instanceof ApiError ? reasonsOf(error.details) : [];
  const full = shift.seatsLeft === 0;

  return (
    <Card withBorder component="article" aria-labelledby={headingId}>
      <Stack gap="xs">
        <Group justify="space-between" wrap="nowrap" align="flex-start">
          <Title
            order={3}
            size="h4"
            id={headingId}
            style={{ overflowWrap: 'anywhere', minWidth: 0 }}
          >
            {shift.title ?? 'Shift'} · {shift.companyName}
          </Title>
          <Badge variant="light" color={full ? 'red' : 'green'} style={{ flexShrink: 0 }}>
            {full ? 'Full' : `${shift.seatsLeft} ${shift.seatsLeft === 1 ? 'seat' : 'seats'} left`}
          </Badge>
        </Group>
        <ShiftFacts shift={shift} />
        {position !== null && (
          <Alert color="blue" title="On the waitlist">
            You are number {position} in line. A freed seat goes to the first eligible agent
            {lineClosesAt ? ` until ${formatInstant(lineClosesAt, zone)}` : ''}.
          </Alert>
        )}
        <RetryingNote retrying={claim.retrying || waitlist.retrying || leave.retrying} />
        <ErrorAlert
          error={error}
          message={seatRefusal(error, zone)}
          title={
            leave.error
              ? 'Could not leave the waitlist'
              : waitlist.error
                ? 'Could not join the waitlist'
                : 'Could not claim'
          }
        />
        {reasons.length > 0 && <Reasons reasons={reasons} label="Why you cannot take this shift" />}
        <Group>
          {position !== null ? (
            <Button
              variant="default"
              loading={leave.isPending}
              onClick={() => leave.mutate(shift.id)}
            >
              Leave the waitlist
            </Button>
          ) : full ? (
            <Button
              variant="default"
              loading={waitlist.isPending}
              onClick={() => {
                claim.reset(); // a claim's refusal is no longer the news
                waitlist.mutate(shift.id);
              }}
            >
              Join the waitlist
            </Button>
          ) : (
            <Button
              loading={claim.isPending}
              onClick={(event) => {
                // Claimed, the shift leaves this list: focus stays in the page, not at its top.
                keepFocusNear(event.currentTarget);
                waitlist.reset();
                claim.mutate({
                  id: shift.id,
                  startsAt: shift.startsAt,
                  endsAt: shift.endsAt,
                  ratePerTicket: shift.ratePerTicket,
                });
              }}
            >
              Claim a seat
            </Button>
          )}
        </Group>
      </Stack>
    </Card>
  );
}
