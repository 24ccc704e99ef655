import {
  TICKET_EVENT_TYPES,
  TicketEvent,
  TicketEventData,
  TicketEventType,
} from '../jobs/job-registry';

/** Every event a company's webhook hears: the ticket events, and `ping` (sent on request). */
export const WEBHOOK_EVENT_TYPES = [...TICKET_EVENT_TYPES, 'ping'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** A ticket event's `data`: which ticket (and agent and claim, when one is involved), then the
 * type's own fields in the inner `data`. */
export interface TicketWebhookData<T extends TicketEventType> {
  ticketId: string;
  companyId: string;
  externalId: string;
  /**
   * Rises with each event of this ticket, in the order they happened: deliveries run in
   * parallel and retries come later, so they can arrive out of order. A state event (claimed,
   * released, resolved…) applies only when its sequence is above the last one applied for the
   * ticket; every message is relayed (ordered by its `number`). Not consecutive, and compared
   * only within one ticket. (The event's outbox row id: every ticket event is written under the
   * ticket's row lock, so one ticket's ids rise in commit order.)
   */
  sequence: number;
  agentId: string | null;
  claimId: string | null;
  data: TicketEventData[T];
}

/** A `ping`'s `data`: only whose webhook it tests. */
export interface PingWebhookData {
  companyId: string;
}

export type WebhookData<T extends WebhookEventType> = T extends TicketEventType
  ? TicketWebhookData<T>
  : PingWebhookData;

/** The JSON body of every webhook POST (and the `payload` of its delivery in the log). */
export interface WebhookPayload<T extends WebhookEventType = WebhookEventType> {
  /** The event id: the same on every attempt and redelivery, so receivers dedupe on it. */
  id: string;
  type: T;
  createdAt: string;
  data: WebhookData<T>;
}

/**
 * The body for a ticket event. Each key is named, not spread from the job's payload, so the
 * body has exactly the keys of its type whatever else an event row carries.
 */
export function ticketWebhookPayload<T extends TicketEventType>(
  type: T,
  event: TicketEvent<T>,
  sequence: number,
): WebhookPayload<T> {
  const data: TicketWebhookData<T> = {
    ticketId: event.ticketId,
    companyId: event.companyId,
    externalId: event.externalId,
    sequence,
    agentId: event.agentId,
    claimId: event.claimId,
    data: event.data,
  };
  // WebhookData<T> is TicketWebhookData<T> for every ticket event type; TypeScript does not
  // resolve the conditional type while T is generic.
  return { id: event.eventId, type, createdAt: event.occurredAt, data: data as WebhookData<T> };
}

export function pingPayload(id: string, companyId: string, at: Date): WebhookPayload<'ping'> {
  return { id, type: 'ping', createdAt: at.toISOString(), data: { companyId } };
}
