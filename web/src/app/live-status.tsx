import { Badge } from '@mantine/core';
import { useLiveEvents } from '../api/live-events';

const LABELS = {
  connecting: 'Connecting',
  live: 'Live',
  reconnecting: 'Reconnecting',
  stopped: 'Offline',
} as const;

/**
 * Opens the agent's event stream for as long as the shell is up, and says whether it is live
 * (an agent waiting for offers needs to know when updates are not arriving).
 */
export function LiveStatus() {
  const state = useLiveEvents();
  return (
    <Badge
      variant="light"
      color={state === 'live' ? 'green' : state === 'stopped' ? 'red' : 'yellow'}
      role="status"
      aria-label={`Live updates: ${LABELS[state]}`}
    >
      {LABELS[state]}
    </Badge>
  );
}
