import { Button, Group, Modal, NumberInput, Stack, Switch, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { problemOf } from '../../ui/form-errors';
import { amountProblem, formatMoney, MAX_AMOUNT_MINOR, minorDigits, toMinor } from '../../ui/money';
import { SURGE_INPUTS, useSurgeFields } from './surge-fields';
import { useWindowFields } from './window-fields';
import { refresh } from '../../api/refresh';
import { serverNow } from '../../api/server-clock';

type Shift = Schemas['ShiftDto'];
const INPUTS = [
  'title',
  'startsAt',
  'endsAt',
  'seats',
  'ratePerTicket',
  'requiresCertification',
  'maxAwayMinutes',
  ...SURGE_INPUTS,
];

/**
 * Changes a shift. Once a seat is taken the API accepts only what cannot hurt a seat holder
 * (more seats, a higher rate, no certification, a longer cap on time away): the form says so,
 * and the API's refusal shows under the field it names.
 */
export function ChangeShiftModal({ shift, onClose }: { shift: Shift; onClose: () => void }) {
  const queryClient = useQueryClient();
  const currency = shift.ratePerTicket.currency;
  const [title, setTitle] = useState(shift.title ?? '');
  // Its window, while no seat is taken (then the API takes any change): a start typed wrong
  // meant cancelling and posting again. A new window empties the waitlist, as the field says.
  const when = useWindowFields(shift, '; a new window empties the waitlist');
  // A shift begun keeps its window (the API refuses it, naming the field).
  // Decided as the dialog opens: a start passing meanwhile leaves the fields, for the API's
  // refusal to be said under them (gone, an edit was still sent and refused unseen).
  const [windowOpen] = useState(
    () => shift.seatsTaken === 0 && new Date(shift.startsAt).getTime() > serverNow(),
  );
  const [seats, setSeats] = useState<number | string>(shift.seats);
  const [rate, setRate] = useState(
    (shift.ratePerTicket.amountMinor / 10 ** minorDigits(currency)).toFixed(minorDigits(currency)),
  );
  // Said under the field before sending: the API would name `ratePerTicket.amountMinor`.
  const [rateError, setRateError] = useState<string | null>(null);
  const [certification, setCertification] = useState(shift.requiresCertification);
  const [maxAway, setMaxAway] = useState<number | string>(shift.maxAwayMinutes ?? '');
  const surge = useSurgeFields(shift.surge, currency, 'stack');
  const change = useMutation({
    mutationFn: () => {
      // Only what changed: an unchanged field is never a "change" the rules could refuse.
      const rateMinor = toMinor(rate, currency);
      // Emptied: no cap (null), the highest there is.
      const awayCap = maxAway === '' ? null : Number(maxAway);
      const body: Schemas['UpdateShiftDto'] = {
        ...(title !== (shift.title ?? '') ? { title } : {}),
        ...when.changed(),
        ...(Number(seats) !== shift.seats ? { seats: Number(seats) } : {}),
        ...(rateMinor !== shift.ratePerTicket.amountMinor
          ? { ratePerTicket: { amountMinor: rateMinor ?? 0, currency } }
          : {}),
        ...(certification !== shift.requiresCertification
          ? { requiresCertification: certification }
          : {}),
        ...(awayCap !== shift.maxAwayMinutes ? { maxAwayMinutes: awayCap } : {}),
        ...(surge.changed() ? { surge: surge.body() } : {}),
      };
      return unwrap(api.PATCH('/v1/shifts/{id}', { params: { path: { id: shift.id } }, body }));
    },
    onSuccess: () => void refresh(queryClient, keys.companyShifts),
  });
  const errors = problemOf(change.error, INPUTS);
  return (
    <Modal opened onClose={onClose} title={`Change “${shift.title ?? 'Shift'}”`}>
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          const rateProblem =
            rate.trim() === ''
              ? 'Enter the pay per resolved ticket'
              : amountProblem(rate, currency, MAX_AMOUNT_MINOR);
          setRateError(rateProblem);
          // Each checked (each shows its own message), then sent only when all can be read.
          const surgeReadable = surge.check();
          const readable = when.check() && surgeReadable;
          // Closed by this press's own callback, which TanStack runs only while this dialog is
          // mounted: a slow answer coming after "Keep as is" closed whatever dialog was open
          // by then (another shift's, its edits lost).
          if (rateProblem === null && readable) change.mutate(undefined, { onSuccess: onClose });
        }}
      >
        <Stack>
          {shift.seatsTaken > 0 && (
            <Text size="sm">
              {shift.seatsTaken} {shift.seatsTaken === 1 ? 'seat is' : 'seats are'} taken, so only
              changes that cannot hurt their holders are accepted: more seats (not fewer than{' '}
              {shift.seatsTaken}), a higher rate than{' '}
              {formatMoney(shift.ratePerTicket.amountMinor, currency)}, no certification, a longer
              cap on time away (or none), surge (its budget not below what claims have committed).
            </Text>
          )}
          <TextInput
            label="Title"
            maxLength={200}
            value={title}
            onChange={(event) => setTitle(event.currentTarget.value)}
            error={errors?.field('title')}
            data-autofocus
          />
          {windowOpen && when.fields(errors)}
          <NumberInput
            label="Seats"
            min={1}
            max={500}
            allowDecimal={false}
            value={seats}
            onChange={setSeats}
            error={errors?.field('seats')}
          />
          <TextInput
            label={`Pay per resolved ticket (${currency})`}
            inputMode="decimal"
            value={rate}
            onChange={(event) => {
              setRate(event.currentTarget.value);
              setRateError(null);
            }}
            error={rateError ?? errors?.field('ratePerTicket')}
          />
          <NumberInput
            label="Most minutes away per seat"
            description="Empty: no cap"
            min={0}
            max={720}
            allowDecimal={false}
            value={maxAway}
            onChange={setMaxAway}
            error={errors?.field('maxAwayMinutes')}
          />
          <Switch
            label="Only agents certified for our program"
            checked={certification}
            onChange={(event) => setCertification(event.currentTarget.checked)}
            error={errors?.field('requiresCertification')}
          />
          {surge.fields(errors)}
          <ErrorAlert error={change.error} inputs={INPUTS} title="Not changed" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Keep as is
            </Button>
            <Button type="submit" loading={change.isPending}>
              Save changes
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
