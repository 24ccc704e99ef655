import { Stack, Text, Title } from '@mantine/core';
import { type Schemas } from '../../api/client';
import { useSession } from '../../api/session-context';
import { ErrorAlert } from '../../ui/error-alert';
import { Loading } from '../../ui/loading';
import { MessageList } from '../../ui/message-list';
import { useConversation } from '../../ui/use-conversation';
import { MessageComposer } from './message-composer';
import { useZone } from './use-profile';

type Message = Schemas['TicketMessageDto'];

/**
 * Who wrote it, as this agent reads it: a ticket transferred, released or reopened to them shows
 * the earlier agent's messages and notes too, which are not "You".
 */
function authorFor(me: string | undefined) {
  return (message: Message): string => {
    if (message.author !== 'agent') return message.author === 'customer' ? 'Customer' : 'Bot';
    const mine = message.agentId !== null && message.agentId === me;
    if (message.visibility === 'internal') return mine ? 'Internal note' : 'Note by another agent';
    return mine ? 'You' : 'Another agent';
  };
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
  const { user } = useSession();
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
        authorOf={authorFor(user?.id)}
        live={messages.isSuccess && !loadingMore}
      />
      {loadingMore && <Loading label="Loading the newer messages" />}
      {!readOnly && <MessageComposer ticketId={ticketId} />}
    </Stack>
  );
}
