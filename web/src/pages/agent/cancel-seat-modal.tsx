import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import type { Schemas } from '../../api/client';
import { ErrorAlert } from '../../ui/error-alert';
import { RetryingNote, type Retrying } from '../../ui/retrying-note';
import { formatInstant } from '../../ui/times';
import { cancellingIsLate } from './seat-rules';
import { useZone } from './use-profile';
import { serverNow } from '../../api/server-clock';

interface Props {
  seat: Schemas['ShiftClaimDto'];
  opened: boolean;
  onClose: () => void;
  onConfirm: () => void;
  pending: boolean;
  /** Its answer was lost and it is being sent again. */
  retrying: Retrying;
  error: unknown;
}

/** Giving a seat back, confirmed; warned when it is late (it lowers the reliability score). */
export function CancelSeatModal({
  seat,
  opened,
  onClose,
  onConfirm,
  pending,
  retrying,
  error,
}: Props) {
  const zone = useZone();
  const late = cancellingIsLate(seat, serverNow());
  return (
    <Modal opened={opened} onClose={onClose} title="Cancel this seat?">
      <Stack>
        <Text size="sm">
          {seat.shiftTitle ?? 'Shift'} · {seat.companyName}, starting{' '}
          {formatInstant(seat.startsAt, zone)}. The seat goes to the next agent in line.
        </Text>
        {late && (
          <Alert color="orange" title="This is a late cancellation">
            Cancelling this seat has counted as late since{' '}
            {formatInstant(seat.lateCancelStartsAt, zone)}. A late cancellation counts against your
            reliability score.
          </Alert>
        )}
        <RetryingNote retrying={retrying} />
        <ErrorAlert error={error} title="The seat was not cancelled" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Keep my seat
          </Button>
          <Button color="red" loading={pending} onClick={onConfirm}>
            {late ? 'Cancel anyway' : 'Cancel my seat'}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
