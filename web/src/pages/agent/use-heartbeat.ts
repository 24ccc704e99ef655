import { useEffect } from 'react';
import { api } from '../../api/client';

const EVERY_MS = 5 * 60_000;
/** A tab flipped back and forth sends one, not one per flip. */
const AT_MOST_EVERY_MS = 60_000;

/**
 * "Still on it" while the ticket is open on screen: the API gives a ticket back after 30 min
 * without activity, and reading a long transcript is activity it cannot see. Only while the tab
 * is visible: a forgotten background tab should not hold a customer. Sent when the page opens and
 * when its tab is shown again too, not only every 5 minutes after: an agent who held a ticket 27
 * minutes from the desk, then opened it to write a long reply, had it taken back at minute 30
 * (the first beat would have gone at 32).
 */
export function useHeartbeat(ticketId: string, active: boolean): void {
  useEffect(() => {
    if (!active) return;
    let last = 0;
    const beat = () => {
      if (document.visibilityState !== 'visible') return;
      if (Date.now() - last < AT_MOST_EVERY_MS) return;
      last = Date.now();
      void api.POST('/v1/tickets/{id}/heartbeat', { params: { path: { id: ticketId } } });
    };
    beat();
    const timer = setInterval(beat, EVERY_MS);
    document.addEventListener('visibilitychange', beat);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', beat);
    };
  }, [ticketId, active]);
}
