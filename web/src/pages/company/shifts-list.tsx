import { Badge, Button, Card, Group, Stack, Text, Title, VisuallyHidden } from '@mantine/core';
import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { useSkillNames } from '../agent/use-skill-names';
import { languageName } from '../../ui/languages';
import { ErrorAlert, ReadErrorAlert, RefreshFailedAlert } from '../../ui/error-alert';
import { useDialog } from '../../ui/use-dialog';
import { LoadMore } from '../../ui/load-more';
import { Loading } from '../../ui/loading';
import { formatMoney, money } from '../../ui/money';
import { nextCursor, PAGE_SIZE } from '../../ui/paging';
import { ReasonDialog } from '../../ui/reason-dialog';
import { browserZone, formatInstant, formatRange } from '../../ui/times';
import { ChangeShiftModal } from './change-shift-modal';
import { refresh } from '../../api/refresh';
import { barPercent } from '../../ui/percent';
import { serverNow } from '../../api/server-clock';

type Shift = Schemas['ShiftDto'];

/** The company's shifts, soonest first, paged: seats filled, and who holds or waits for them. */
export function ShiftsList() {
  const shifts = useInfiniteQuery({
    queryKey: [...keys.companyShifts, 'list'],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/v1/shifts', {
          params: { query: { status: 'scheduled', limit: PAGE_SIZE, cursor: pageParam } },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
  });
  const items = shifts.data?.pages.flatMap((page) => page.items) ?? [];
  // Here, not in the card: a re-read that drops the shift (cancelled in another tab, ended) must
  // not take an open dialog with it; and each holds the shift as it was opened, which its
  // changes are worked out against (not a re-read's, which would undo another admin's change).
  const changing = useDialog<Shift>();
  const cancelling = useDialog<Shift>();
  return (
    <Stack component="section" aria-labelledby="shifts-heading" gap="sm">
      <Title order={2} id="shifts-heading" size="h3">
        Scheduled shifts
      </Title>
      {shifts.isPending && <Loading label="Loading your shifts" />}
      <ReadErrorAlert query={shifts} title="Your shifts could not be loaded" />
      {shifts.isSuccess && items.length === 0 && <Text size="sm">No shift is scheduled.</Text>}
      {items.map((shift) => (
        <ShiftCard
          key={shift.id}
          shift={shift}
          onChange={(button) => changing.open(shift, button)}
          onCancel={(button) => cancelling.open(shift, button)}
        />
      ))}
      <LoadMore query={shifts} what="shifts" />
      {changing.value && <ChangeShiftModal shift={changing.value} onClose={changing.close} />}
      {cancelling.value && <CancelShiftModal shift={cancelling.value} onClose={cancelling.close} />}
    </Stack>
  );
}

function ShiftCard({
  shift,
  onChange,
  onCancel,
}: {
  shift: Shift;
  onChange: (button: HTMLElement) => void;
  onCancel: (button: HTMLElement) => void;
}) {
  const [open, setOpen] = useState(false);
  const headingId = `shift-${shift.id}`;
  return (
    <Card withBorder component="article" aria-labelledby={headingId}>
      <Stack gap="xs">
        <Group justify="space-between" wrap="nowrap" align="flex-start">
          <Title order={3} size="h4" id={headingId}>
            {shift.title ?? 'Shift'}
          </Title>
          {/* Its words whole on a phone: the title wraps beside it instead. */}
          <Badge
            variant="light"
            color={shift.seatsLeft === 0 ? 'green' : 'yellow'}
            style={{ flexShrink: 0 }}
          >
            {shift.seatsTaken} of {shift.seats} seats filled
          </Badge>
        </Group>
        <Text size="sm">
          {formatRange(shift.startsAt, shift.endsAt, browserZone())} · {money(shift.ratePerTicket)}{' '}
          per resolved ticket ·{' '}
          {shift.routing === 'push' ? 'offers' : 'agents take the next ticket'}
        </Text>
        <ShiftAsks shift={shift} />
        <ShiftTerms shift={shift} />
        <Group>
          <Button
            variant="default"
            size="xs"
            onClick={() => setOpen((o) => !o)}
            aria-expanded={open}
            aria-controls={`${headingId}-seats`}
          >
            {open ? 'Hide seats' : 'Seats and waitlist'}
            {/* Named with its shift: alike buttons in a list were told apart by place only. */}
            <VisuallyHidden> of {shift.title ?? 'Shift'}</VisuallyHidden>
          </Button>
          <Button
            variant="default"
            size="xs"
            onClick={(event) => onChange(event.currentTarget)}
            aria-label={`Change shift ${shift.title ?? ''}`.trim()}
          >
            Change
          </Button>
          <Button
            variant="default"
            size="xs"
            onClick={(event) => onCancel(event.currentTarget)}
            aria-label={`Cancel shift ${shift.title ?? ''}`.trim()}
          >
            Cancel shift
          </Button>
        </Group>
        <div id={`${headingId}-seats`}>{open && <SeatHolders shiftId={shift.id} />}</div>
      </Stack>
    </Card>
  );
}

/**
 * What the shift asks of agents: skills, languages, certification. The card showed none of
 * them, so a company could not check what it had posted.
 */
function ShiftAsks({ shift }: { shift: Shift }) {
  const skillName = useSkillNames();
  const asks = [
    ...shift.requiredSkills.map((s) => `${skillName(s.skill)} at level ${s.minLevel} or above`),
    // An agent must speak every one of them.
    ...shift.languages.map(languageName),
    ...(shift.requiresCertification ? ['certified for your program'] : []),
  ];
  if (asks.length === 0) return null;
  return <Text size="sm">Agents need: {asks.join(' · ')}</Text>;
}

/** The quality gates and surge, when the shift has any. */
function ShiftTerms({ shift }: { shift: Shift }) {
  const terms: string[] = [];
  if (shift.minQuality !== null) {
    terms.push(`quality score at least ${barPercent(shift.minQuality)}`);
  }
  // Early access said while it lasts (by the API's clock), not once every agent may claim.
  if (
    shift.openToAllAt !== null &&
    shift.earlyAccessMinQuality !== null &&
    new Date(shift.openToAllAt).getTime() > serverNow()
  ) {
    terms.push(
      `until ${formatInstant(shift.openToAllAt, browserZone())} only ${barPercent(shift.earlyAccessMinQuality)} and above`,
    );
  }
  const surge = shift.surge;
  if (surge) {
    const cur = shift.ratePerTicket.currency;
    terms.push(
      `surge up to ×${surge.maxMultiplierBps / 10_000} above ${surge.openTicketsPerAgent} open tickets per agent, budget ${formatMoney(surge.budgetMinor, cur)}`,
    );
  }
  if (terms.length === 0) return null;
  const text = terms.join(' · ');
  return <Text size="sm">{text.charAt(0).toUpperCase() + text.slice(1)}</Text>;
}

/**
 * Cancelling asks first: it ends every seat and cannot be undone. What it does to whom is read
 * when the dialog opens (the list does not follow seats as agents take them), and said apart for
 * a shift already running, whose checked-in seats end early rather than being released.
 */
function CancelShiftModal({ shift, onClose }: { shift: Shift; onClose: () => void }) {
  const queryClient = useQueryClient();
  const detail = useQuery({
    queryKey: shiftDetailKey(shift.id),
    queryFn: () => unwrap(api.GET('/v1/shifts/{id}', { params: { path: { id: shift.id } } })),
    // Read as it opens, even when the seats were read a moment ago.
    refetchOnMount: 'always',
  });
  return (
    <ReasonDialog
      title={`Cancel “${shift.title ?? 'Shift'}”`}
      reasonDescription="Optional; the agents holding seats read it"
      confirmLabel="Cancel the shift"
      keepLabel="Keep the shift"
      errorTitle="Not cancelled"
      confirm={(reason, key) =>
        unwrap(
          api.POST('/v1/shifts/{id}/cancel', {
            params: { path: { id: shift.id }, header: { 'Idempotency-Key': key } },
            body: { reason: reason.trim() === '' ? undefined : reason },
          }),
        )
      }
      onDone={() => void refresh(queryClient, keys.companyShifts)}
      onClose={onClose}
      // Not a count read before: the button waits for this one (it reads as the dialog opens).
      reading={detail.isFetching}
    >
      {detail.isFetching ? (
        <Loading label="Reading who holds seats" />
      ) : (
        <Text size="sm">
          {detail.data && !detail.isError
            ? whatCancelling(detail.data)
            : // Not read now (an older read, the seats panel's, may be cached: agents may have
              // checked in since): said for any shift, a running one's worked seats end.
              'Who holds seats could not be read just now. Seats not yet worked are released ' +
              'with no mark on their holders, seats being worked end now with the time worked ' +
              'counted (their tickets go back to the queue after a short grace), and the ' +
              'waitlist is cleared.'}{' '}
          This cannot be undone.
        </Text>
      )}
    </ReasonDialog>
  );
}

const shiftDetailKey = (shiftId: string) => [...keys.companyShifts, 'one', shiftId];

/** What cancelling does now, from the seats as read: the running shift's worked ones end. */
function whatCancelling(detail: Schemas['ShiftDetailDto']): string {
  const working = detail.claims.filter((c) => c.status === 'checked_in').length;
  const holding = detail.claims.filter((c) => c.status === 'claimed').length;
  if (working === 0 || new Date(detail.startsAt).getTime() > serverNow()) {
    return released(working + holding);
  }
  const ended =
    working === 1
      ? 'The agent checked in has its seat ended now: the time worked counts, and'
      : `The ${working} agents checked in have their seats ended now: the time worked counts, and`;
  const rest =
    holding === 0
      ? ''
      : ` ${holding === 1 ? 'The agent' : `The ${holding} agents`} not checked in ${holding === 1 ? 'is' : 'are'} released, with no mark on ${holding === 1 ? 'its' : 'their'} reliability (one who missed the check-in stays a no-show).`;
  return `${ended} the tickets being worked go back to the queue after a short grace.${rest} The waitlist is cleared.`;
}

function released(seatsTaken: number): string {
  if (seatsTaken === 0) return 'Nobody holds a seat yet; the waitlist is cleared.';
  const who =
    seatsTaken === 1 ? 'The agent holding a seat is' : `The ${seatsTaken} agents holding seats are`;
  return `${who} released, with no mark on their reliability (one who missed the check-in stays a no-show), and the waitlist is cleared.`;
}

function SeatHolders({ shiftId }: { shiftId: string }) {
  const detail = useQuery({
    queryKey: shiftDetailKey(shiftId),
    queryFn: () => unwrap(api.GET('/v1/shifts/{id}', { params: { path: { id: shiftId } } })),
  });
  if (detail.isPending) return <Loading label="Loading the seats" />;
  if (!detail.data) return <ErrorAlert error={detail.error} title="Seats could not be loaded" />;
  const active = detail.data.claims.filter((c) => c.status !== 'cancelled');
  const { surge, surgeCommittedMinor, ratePerTicket } = detail.data;
  return (
    <Stack gap={4}>
      <RefreshFailedAlert error={detail.error} />
      {surge && surgeCommittedMinor !== null && (
        <Text size="sm">
          Surge budget committed to claims and offers:{' '}
          {formatMoney(surgeCommittedMinor, ratePerTicket.currency)} of{' '}
          {formatMoney(surge.budgetMinor, ratePerTicket.currency)}
        </Text>
      )}
      <Text size="sm" fw={600}>
        Seats
      </Text>
      {active.length === 0 ? (
        <Text size="sm">Nobody yet.</Text>
      ) : (
        active.map((c) => (
          <Text size="sm" key={c.claimId}>
            {c.displayName} · {c.status.replace('_', ' ')}
          </Text>
        ))
      )}
      <Text size="sm" fw={600}>
        Waitlist
      </Text>
      {detail.data.waitlist.length === 0 ? (
        <Text size="sm">Nobody waiting.</Text>
      ) : (
        detail.data.waitlist.map((w, i) => (
          <Text size="sm" key={w.agentId}>
            {i + 1}. {w.displayName}
          </Text>
        ))
      )}
    </Stack>
  );
}
