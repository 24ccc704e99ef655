import { Paper, Stack, Text } from '@mantine/core';
import type { Schemas } from '../api/client';
import { formatInstant } from './times';

type Message = Schemas['TicketMessageDto'];

interface Props {
  messages: Message[];
  zone: string;
  /** Who wrote it, in the viewer's words ("You" for the agent, "Agent" for the company). */
  authorOf: (message: Message) => string;
  /** The whole conversation is loaded: what is added from now on is new, and read out. */
  live: boolean;
}

/**
 * A ticket's conversation, oldest first; internal notes stand out from what the customer saw.
 * A log (a polite live region): a reply that arrives while the agent waits is read out, as an
 * offer is on the desk. Silent while the conversation loads (its pages are added one by one),
 * so the messages already there when the page opens are not.
 */
export function MessageList({ messages, zone, authorOf, live }: Props) {
  return (
    <div role="log" aria-label="Conversation" aria-live={live ? 'polite' : 'off'}>
      <Stack
        gap="xs"
        component="ol"
        style={{ listStyle: 'none', padding: 0, margin: 0 }}
        aria-label="Messages"
      >
        {messages.map((message) => (
          <Paper
            key={message.id}
            component="li"
            p="sm"
            withBorder
            bg={
              message.visibility === 'internal'
                ? 'yellow.0'
                : message.author === 'agent'
                  ? 'indigo.0'
                  : undefined
            }
          >
            <Text size="xs" fw={600}>
              {authorOf(message)} · {formatInstant(message.sentAt, zone)}
            </Text>
            {/* Plain text, never HTML: React escapes it; line breaks are the customer's. */}
            <Text size="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
              {message.body}
            </Text>
          </Paper>
        ))}
      </Stack>
    </div>
  );
}
