import { Stack, Text, Title } from '@mantine/core';
import { type Schemas } from '../../api/client';
import { ErrorAlert } from '../../ui/error-alert';
import { Loading } from '../../ui/loading';
import { MessageList } from '../../ui/message-list';
import { useConversation } from '../../ui/use-conversation';
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
  const { query: messages, items, loadingMore } = useConversation(ticketId);

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
      <MessageList
        messages={items}
        zone={zone}
        authorOf={author}
        live={messages.isSuccess && !loadingMore}
      />
      {loadingMore && <Loading label="Loading the newer messages" />}
      {!readOnly && <MessageComposer ticketId={ticketId} />}
    </Stack>
  );
}
