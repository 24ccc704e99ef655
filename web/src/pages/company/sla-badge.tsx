import { Badge } from '@mantine/core';
import type { Schemas } from '../../api/client';
import { formatDuration } from '../../ui/times';
import { slaState } from './sla-state';

/**
 * Its words wrap in a narrow column (a phone) instead of ending in an ellipsis: the time left
 * is the point of the badge.
 */
const WRAPPING = {
  root: { height: 'auto', paddingBlock: 2 },
  label: { whiteSpace: 'normal', overflow: 'visible' },
} as const;

/** The ticket's SLA (slaState): a countdown while it waits, a breach in red, or met. */
export function SlaBadge({ ticket, now }: { ticket: Schemas['TicketSummaryDto']; now: number }) {
  const sla = slaState(ticket, now);
  if (sla.kind === 'met') {
    return (
      <Badge color="green" variant="light" styles={WRAPPING}>
        Claimed in time
      </Badge>
    );
  }
  if (sla.kind === 'breached') {
    return (
      <Badge color="red" variant="filled" styles={WRAPPING}>
        SLA breached{sla.agoSeconds === null ? '' : ` ${formatDuration(sla.agoSeconds)} ago`}
      </Badge>
    );
  }
  return (
    <Badge color={sla.leftSeconds < 300 ? 'orange' : 'gray'} variant="light" styles={WRAPPING}>
      {formatDuration(sla.leftSeconds)} left
    </Badge>
  );
}
