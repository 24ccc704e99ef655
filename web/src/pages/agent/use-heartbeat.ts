import { useEffect } from 'react';
import { api } from '../../api/client';

const EVERY_MS = 5 * 60_000;

/**
 * "Still on it" while the ticket is open on screen: the API gives a ticket back after 30 min
 * without activity, and reading a long transcript is activity it cannot see. Only while the tab
 * is visible: a forgotten background tab should not hold a customer.
 */
export function useHeartbeat(ticketId: string, active: boolean): void {
  useEffect(() => {
    if (!active) return;
    const beat = () => {
      if (document.visibilityState === 'visible') {
        void api.POST('/v1/tickets/{id}/heartbeat', { params: { path: { id: ticketId } } });
      }
    };
    const timer = setInterval(beat, EVERY_MS);
    return () => clearInterval(timer);
  }, [ticketId, active]);
}
