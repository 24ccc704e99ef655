import { Stack, Text, Title } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { api, unwrap, type Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { LoadMore } from '../../ui/load-more';
import { Loading } from '../../ui/loading';
import { nextCursor, PAGE_SIZE } from '../../ui/paging';
import { MessageList } from '../../ui/message-list';
import { MessageComposer } from './message-composer';
import { useZone } from './use-profile';

type Message = Schemas['TicketMessageDto'];

function author(message: Message): string {
  if (message.author === 'agent')
    return message.visibility === 'internal' ? 'Internal note' : 'You';
  return message.author === 'customer' ? 'Customer' : 'Bot';
}

/**
 * The conversation since the handoff, oldest first: the agent's messages (to the customer, or
 * internal notes) and the customer's replies, which arrive live (ticket.message refetches it).
 * `readOnly` (a resolved ticket read back): no composer.
 */
export function Conversation({
  ticketId,
  readOnly = false,
}: {
  ticketId: string;
  readOnly?: boolean;
}) {
  const zone = useZone();
  const messages = useInfiniteQuery({
    queryKey: keys.messages(ticketId),
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/v1/tickets/{id}/messages', {
          params: { path: { id: ticketId }, query: { limit: PAGE_SIZE, cursor: pageParam } },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
  });
  const items = messages.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <Stack component="section" aria-labelledby="conversation-heading" gap="sm">
      <Title order={2} id="conversation-heading" size="h3">
        Conversation
      </Title>
      {messages.isPending && <Loading label="Loading the conversation" />}
      <ErrorAlert error={messages.error} title="The conversation could not be loaded" />
      {messages.isSuccess && items.length === 0 && (
        <Text size="sm">
          {readOnly
            ? 'No messages were exchanged.'
            : 'No messages yet. Write to the customer below.'}
        </Text>
      )}
      <MessageList messages={items} zone={zone} authorOf={author} />
      <LoadMore query={messages} what="messages" />
      {!readOnly && <MessageComposer ticketId={ticketId} />}
    </Stack>
  );
}
