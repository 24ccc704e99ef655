import { useInfiniteQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api, unwrap } from '../api/client';
import { keys } from '../api/query-keys';
import { nextCursor } from './paging';

/** The API's largest page: a conversation is read in as few calls as it allows. */
const CONVERSATION_PAGE = 100;

/**
 * A ticket's whole conversation, oldest first. The API pages it oldest first, so a page at a
 * time would leave the newest messages (the customer's last reply, the agent's own message just
 * sent) behind a "load more" button: every page is read, and a live message that starts a new
 * page (ticket.message refetches the conversation) is read too.
 */
export function useConversation(ticketId: string) {
  const messages = useInfiniteQuery({
    queryKey: keys.messages(ticketId),
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/v1/tickets/{id}/messages', {
          params: {
            path: { id: ticketId },
            query: { limit: CONVERSATION_PAGE, cursor: pageParam },
          },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
  });
  const { hasNextPage, isFetching, isError, fetchNextPage } = messages;
  useEffect(() => {
    if (hasNextPage && !isFetching && !isError) void fetchNextPage();
  }, [hasNextPage, isFetching, isError, fetchNextPage]);
  return {
    query: messages,
    items: messages.data?.pages.flatMap((page) => page.items) ?? [],
    /** Newer pages are still to come: the list shown is not the whole conversation yet. */
    loadingMore: hasNextPage && !isError,
  };
}
