import { Badge } from '@mantine/core';
import type { Schemas } from '../../api/client';

type Priority = Schemas['TicketDto']['effectivePriority'];

const COLORS: Record<Priority, string> = {
  urgent: 'red',
  high: 'orange',
  normal: 'blue',
  low: 'gray',
};

/** A ticket's effective priority (raised one step by an SLA breach). */
export function PriorityBadge({ priority }: { priority: Priority }) {
  return (
    <Badge variant="light" color={COLORS[priority]} style={{ flexShrink: 0 }}>
      {priority} priority
    </Badge>
  );
}
