import { Button, Stack, Text } from '@mantine/core';
import type { Schemas } from '../../api/client';
import { formatDuration, formatInstant } from '../../ui/times';
import { useNow } from '../../ui/use-now';
import { checkInOpensAt } from './seat-rules';
import { useZone } from './use-profile';

interface Props {
  seat: Schemas['ShiftClaimDto'];
  loading: boolean;
  onCheckIn: (button: HTMLButtonElement) => void;
}

/** "Check in", enabled from the moment check-in opens, with a countdown until then. */
export function CheckInButton({ seat, loading, onCheckIn }: Props) {
  const zone = useZone();
  const now = useNow();
  const opensAt = checkInOpensAt(seat);
  const deadline = new Date(seat.checkInDeadline).getTime();
  const open = now >= opensAt && now <= deadline;
  let note: string;
  if (now < opensAt) {
    note = `Check-in opens in ${formatDuration((opensAt - now) / 1000)} (${formatInstant(new Date(opensAt).toISOString(), zone)})`;
  } else if (open) {
    note = `Check in within ${formatDuration((deadline - now) / 1000)}, by ${formatInstant(seat.checkInDeadline, zone)}`;
  } else {
    note = 'The check-in deadline has passed';
  }
  return (
    <Stack gap={2}>
      <Button
        onClick={(event) => onCheckIn(event.currentTarget)}
        loading={loading}
        disabled={!open}
        w="fit-content"
      >
        Check in
      </Button>
      <Text size="xs" aria-live="off">
        {note}
      </Text>
    </Stack>
  );
}
