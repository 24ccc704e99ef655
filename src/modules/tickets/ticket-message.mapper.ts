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

/** A message as the `ticket.message` event and webhook carry it. */
export function messageEventData(r: TicketMessageRow) {
  return {
    messageId: r.id,
    number: r.number,
    author: r.author,
    body: r.body,
    sentAt: r.sent_at.toISOString(),
  };
}
