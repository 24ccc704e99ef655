import { Badge } from '@mantine/core';
import type { Schemas } from '../../api/client';
import { formatDuration, secondsUntil } from '../../ui/times';

/**
 * Its words wrap in a narrow column (a phone) instead of ending in an ellipsis: the time left
 * is the point of the badge.
 */
const WRAPPING = {
  root: { height: 'auto', paddingBlock: 2 },
  label: { whiteSpace: 'normal', overflow: 'visible' },
} as const;

/** The SLA as a countdown; a breach (recorded, or due and not yet swept) in red. */
export function SlaBadge({ ticket, now }: { ticket: Schemas['TicketSummaryDto']; now: number }) {
  const left = secondsUntil(ticket.slaDeadline, now);
  if (ticket.slaBreachedAt || left < 0) {
    return (
      <Badge color="red" variant="filled" styles={WRAPPING}>
        SLA breached {formatDuration(-left)} ago
      </Badge>
    );
  }
  return (
    <Badge color={left < 300 ? 'orange' : 'gray'} variant="light" styles={WRAPPING}>
      {formatDuration(left)} left
    </Badge>
  );
}
