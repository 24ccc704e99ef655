import { Badge } from '@mantine/core';
import { useLiveEvents } from '../api/live-events';
import { useSession } from '../api/session-context';

const LABELS = {
  connecting: 'Connecting',
  live: 'Live',
  reconnecting: 'Reconnecting',
  stopped: 'Offline',
} as const;

/**
 * Opens the user's event stream for as long as the shell is up, and says whether it is live
 * (an agent waiting for offers, or a company watching its queue, needs to know when updates
 * are not arriving).
 */
export function LiveStatus() {
  const { user } = useSession();
  const state = useLiveEvents(user?.role);
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
