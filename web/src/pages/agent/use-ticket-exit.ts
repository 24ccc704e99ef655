import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import type { Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { refresh } from '../../api/refresh';
import { clearDraftsOf } from '../../ui/drafts';

/**
 * After a resolve, release or transfer the ticket is no longer the agent's: it leaves the desk
 * at once (no wait for the refetch) with what was typed on it, the agent is told, and goes back
 * to the desk.
 */
export function useTicketExit(ticketId: string): (message: string) => void {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  return (message) => {
    clearDraftsOf(ticketId);
    queryClient.setQueryData<Schemas['AgentTicketDto'][]>(keys.myTickets, (list) =>
      list?.filter((t) => t.id !== ticketId),
    );
    void refresh(queryClient, keys.myTickets);
    void refresh(queryClient, keys.queue);
    void refresh(queryClient, keys.earnings);
    notifications.show({ color: 'green', message });
    navigate('/agent/desk');
  };
}
