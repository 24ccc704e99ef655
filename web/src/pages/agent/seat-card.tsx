import { Anchor, Badge, Button, Card, Group, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import { Link } from 'react-router';
import { api, ApiError, unwrap, type Schemas } from '../../api/client';
import { useKeyedMutation } from '../../api/keyed-mutation';
import { keys } from '../../api/query-keys';
import { ConfirmButton } from '../../ui/confirm-button';
import { ErrorAlert } from '../../ui/error-alert';
import { RetryingNote } from '../../ui/retrying-note';
import { money } from '../../ui/money';
import { formatInstant, formatRange } from '../../ui/times';
import { keepFocusNear } from '../../ui/use-dialog';
import { useNow } from '../../ui/use-now';
import { CancelSeatModal } from './cancel-seat-modal';
import { CheckInButton } from './check-in-button';
import { checkingOutIsEarly, givenLate, STATUS_COLORS, STATUS_LABELS } from './seat-rules';
import { useMyTickets } from './use-my-tickets';
import { useZone } from './use-profile';
import { refresh } from '../../api/refresh';
import { useReadAgainAfter } from '../../api/use-read-again-after';

type Seat = Schemas['ShiftClaimDto'];

/** One of the agent's seats, with what can be done with it now. */
export function SeatCard({ seat }: { seat: Seat }) {
  const zone = useZone();
  const headingId = useId();
  const queryClient = useQueryClient();
  const [cancelling, setCancelling] = useState(false);
  // Checked in early, before the start: nothing is worked yet, so leaving is cancelling the
  // seat (the API refuses a check-out then).
  const now = useNow();
  const started = now >= Date.parse(seat.startsAt);
  const early = checkingOutIsEarly(seat, now);
  // Tickets held of this seat's company go back to the queue shortly after a check-out: said
  // before it, rather than found gone.
  const tickets = useMyTickets(seat.status === 'checked_in');
  const inHand = (tickets.data ?? []).filter((t) => t.companyId === seat.companyId).length;
  const goBack =
    inHand === 0
      ? ''
      : ` The ${inHand === 1 ? 'ticket' : `${inHand} tickets`} you hold of ${seat.companyName} ` +
        `${inHand === 1 ? 'goes' : 'go'} back to the queue a few minutes after you check out, ` +
        'unless resolved first.';
  // Returned to the mutations, so that a button stays busy until the seats are read again:
  // enabled in between, a second press of Check out (under a new key, the first having
  // answered) met a completed seat and showed "Cannot check out" beside "Checked out".
  const done = () =>
    Promise.all([
      refresh(queryClient, keys.seats),
      refresh(queryClient, keys.availability),
      refresh(queryClient, keys.queue),
    ]);
  // Past its check-in deadline a claimed seat is a no-show (cancelling it is refused), and a
  // checked-in one completes at the shift's end: no event says either, so the seats are read
  // again just after (the platform's jobs take a moment), and meanwhile Cancel is not offered.
  const missed = seat.status === 'claimed' && now > Date.parse(seat.checkInDeadline);
  // Still claimed past its deadline (the platform's job late): read again every 30 s meanwhile.
  useEffect(() => {
    if (!missed) return;
    const timer = setInterval(() => void refresh(queryClient, keys.seats), 30_000);
    return () => clearInterval(timer);
  }, [missed, queryClient]);
  useReadAgainAfter(
    keys.seats,
    seat.status === 'claimed'
      ? seat.checkInDeadline
      : seat.status === 'checked_in'
        ? seat.endsAt
        : null,
  );
  // A retry after a lost answer gets that answer: not "already checked in" or "already
  // completed" for a step that went through, nor a cancel of a seat claimed again since.
  // One key per seat (not per read of it).
  const bySeat = (of: Seat) => of.id;
  const keyed = (of: Seat, key: string) => ({
    params: { path: { id: of.shiftId }, header: { 'Idempotency-Key': key } },
  });
  const checkIn = useKeyedMutation({
    mutationFn: (of: Seat, key) => unwrap(api.POST('/v1/shifts/{id}/check-in', keyed(of, key))),
    request: bySeat,
    // Refused (the check-in deadline passed meanwhile, the shift ended): the card shows what the
    // seat is now.
    onError: (error) => (error instanceof ApiError ? done() : undefined),
    onSuccess: done,
  });
  const checkOut = useKeyedMutation({
    mutationFn: (of: Seat, key) => unwrap(api.POST('/v1/shifts/{id}/check-out', keyed(of, key))),
    request: bySeat,
    // Refused (the seat ended meanwhile: a no-show, the company ended the shift): read again, so
    // the card shows what the seat is now instead of offering Check out again.
    onError: (error) => (error instanceof ApiError ? done() : undefined),
    onSuccess: (answer) => {
      notifications.show(
        answer.status === 'left_early'
          ? { color: 'orange', message: 'Checked out early. Your seat went back to the shift.' }
          : { message: 'Checked out. Thanks for your shift.' },
      );
      void refresh(queryClient, keys.reliability);
      return done();
    },
  });
  const cancelButton = useRef<HTMLButtonElement>(null);
  const cancel = useKeyedMutation({
    mutationFn: (of: Seat, key) => unwrap(api.DELETE('/v1/shifts/{id}/claims/me', keyed(of, key))),
    request: bySeat,
    // Said even when "Keep my seat" was pressed while it was sent again: it went all the same.
    onSuccess: (answer, _seat, dropped) => {
      if (!dropped) setCancelling(false);
      notifications.show({
        color: answer.lateCancellation ? 'orange' : 'gray',
        message: answer.lateCancellation
          ? 'Seat cancelled. It counts as a late cancellation.'
          : 'Seat cancelled.',
      });
    },
    // Read again whatever the answer, a press dropped by "Keep my seat" too: it may have gone.
    onSettled: () => {
      void refresh(queryClient, keys.openShifts);
      void refresh(queryClient, keys.reliability);
      return done();
    },
  });

  return (
    <Card withBorder component="article" aria-labelledby={headingId}>
      <Stack gap="xs">
        <Group justify="space-between" wrap="nowrap" align="flex-start">
          <Title
            order={2}
            size="h4"
            id={headingId}
            style={{ overflowWrap: 'anywhere', minWidth: 0 }}
          >
            {seat.shiftTitle ?? 'Shift'} · {seat.companyName}
          </Title>
          <Badge variant="light" color={STATUS_COLORS[seat.status]} style={{ flexShrink: 0 }}>
            {STATUS_LABELS[seat.status]}
          </Badge>
        </Group>
        <Text size="sm">{formatRange(seat.startsAt, seat.endsAt, zone)}</Text>
        <Text size="sm">
          {money(seat.ratePerTicket)} per resolved ticket
          {seat.source === 'waitlist' ? ' · seat from the waitlist' : ''}
          {seat.lateCancellation ? ' · late cancellation' : ''}
          {seat.endedBy === 'company'
            ? seat.status === 'completed'
              ? ' · ended early by the company'
              : ' · ended by the company, not counted against you'
            : ''}
          {seat.endedBy === 'suspension' ? ' · ended by a suspension' : ''}
          {seat.status === 'no_show' && givenLate(seat)
            ? ' · the waitlist gave it late: not counted against you'
            : ''}
        </Text>
        {seat.earned && seat.workedSeconds !== null && (
          <Text size="sm">
            Earned {money(seat.earned)} in {(seat.workedSeconds / 3600).toFixed(1)} h worked
            {seat.effectiveHourly ? `: ${money(seat.effectiveHourly)} an hour` : ''}
          </Text>
        )}
        <RetryingNote retrying={checkIn.retrying || checkOut.retrying} />
        <ErrorAlert error={checkIn.error ?? checkOut.error} />
        <Group>
          {seat.status === 'claimed' && (
            <>
              <CheckInButton
                seat={seat}
                loading={checkIn.isPending}
                onCheckIn={(button) => {
                  // The button goes once checked in (Check out takes its place later).
                  keepFocusNear(button);
                  checkIn.mutate(seat);
                }}
              />
              {!missed && (
                <Button variant="default" ref={cancelButton} onClick={() => setCancelling(true)}>
                  Cancel seat
                </Button>
              )}
            </>
          )}
          {seat.status === 'checked_in' && (
            <>
              <Anchor component={Link} to="/agent/desk">
                Go to the desk
              </Anchor>
              {started && early && (
                <ConfirmButton
                  variant="default"
                  loading={checkOut.isPending}
                  title="Leave the shift early?"
                  consequence={`Until ${formatInstant(seat.checkOutCompletesAt, zone)}, checking out is leaving early: your seat goes back to the shift for someone else, and ${givenLate(seat) ? 'as the waitlist gave it to you late, it does not count against your reliability' : 'it counts against your reliability as a late cancellation does'}.${goBack}`}
                  confirmLabel="Leave early"
                  keepLabel="Stay on shift"
                  onConfirm={() => checkOut.mutate(seat)}
                >
                  Check out
                </ConfirmButton>
              )}
              {started && !early && inHand > 0 && (
                <ConfirmButton
                  variant="default"
                  loading={checkOut.isPending}
                  title={`Check out with ${inHand === 1 ? 'a ticket' : 'tickets'} in hand?`}
                  consequence={goBack.trim()}
                  confirmLabel="Check out"
                  keepLabel="Stay on shift"
                  onConfirm={() => checkOut.mutate(seat)}
                >
                  Check out
                </ConfirmButton>
              )}
              {started && !early && inHand === 0 && (
                <Button
                  variant="default"
                  loading={checkOut.isPending}
                  onClick={(event) => {
                    // The card moves to the finished seats once checked out.
                    keepFocusNear(event.currentTarget);
                    checkOut.mutate(seat);
                  }}
                >
                  Check out
                </Button>
              )}
              {!started && (
                <Button variant="default" ref={cancelButton} onClick={() => setCancelling(true)}>
                  Cancel seat
                </Button>
              )}
            </>
          )}
        </Group>
      </Stack>
      <CancelSeatModal
        seat={seat}
        opened={cancelling}
        onClose={() => {
          setCancelling(false);
          // Kept: nothing more is sent (a retry may be waiting), and reopened later it does not
          // show this attempt's error.
          cancel.drop();
        }}
        onConfirm={() => {
          // The card goes with its seat: the focus stays near it, not at the page's start.
          if (cancelButton.current) keepFocusNear(cancelButton.current);
          cancel.mutate(seat);
        }}
        pending={cancel.isPending}
        retrying={cancel.retrying}
        error={cancel.error}
      />
    </Card>
  );
}
