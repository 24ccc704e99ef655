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

/**
 * The SLA is a deadline to claim: while the ticket waits, a countdown, and a breach (recorded,
 * or due and not yet swept) in red. Once an agent holds it, its SLA is settled: breached or met,
 * whatever the clock says since.
 */
export function SlaBadge({ ticket, now }: { ticket: Schemas['TicketSummaryDto']; now: number }) {
  if (ticket.status !== 'open') {
    return ticket.slaBreachedAt ? (
      <Badge color="red" variant="filled" styles={WRAPPING}>
        SLA breached
      </Badge>
    ) : (
      <Badge color="green" variant="light" styles={WRAPPING}>
        Claimed in time
      </Badge>
    );
  }
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
