import { TicketMessageDto } from './message.dto';
import { TicketMessageRow } from './ticket-messages.repository';

export function toTicketMessageDto(r: TicketMessageRow): TicketMessageDto {
  return {
    id: r.id,
    ticketId: r.ticket_id,
    number: r.number,
    author: r.author,
    agentId: r.agent_id,
    visibility: r.visibility,
    body: r.body,
    messageId: r.external_message_id,
    sentAt: r.sent_at,
    createdAt: r.created_at,
  };
}

/**
 * A message as the `ticket.message` event and webhook carry it. `id` is its id as the REST
 * answers name it; `messageId` is the same (the field receivers had first: in the REST answers
 * `messageId` is the bot's own id instead, so join on `id`). `botMessageId`: the bot's id for a
 * message it relayed (null for an agent's).
 */
export function messageEventData(r: TicketMessageRow) {
  return {
    id: r.id,
    messageId: r.id,
    botMessageId: r.external_message_id,
    number: r.number,
    author: r.author,
    body: r.body,
    sentAt: r.sent_at.toISOString(),
  };
}
