import { Badge } from '@mantine/core';
import type { Schemas } from '../../api/client';
import { formatDuration, secondsUntil } from '../../ui/times';

/** The SLA as a countdown; a breach (recorded, or due and not yet swept) in red. */
export function SlaBadge({ ticket, now }: { ticket: Schemas['TicketSummaryDto']; now: number }) {
  const left = secondsUntil(ticket.slaDeadline, now);
  if (ticket.slaBreachedAt || left < 0) {
    return (
      <Badge color="red" variant="filled">
        SLA breached {formatDuration(-left)} ago
      </Badge>
    );
  }
  return (
    <Badge color={left < 300 ? 'orange' : 'gray'} variant="light">
      {formatDuration(left)} left
    </Badge>
  );
}
