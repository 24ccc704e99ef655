import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { TicketEvent, TicketEventData, TicketEventType } from '../jobs/job-registry';
import { OutboxJob, OutboxService } from '../outbox/outbox.service';

export interface TicketRef {
  id: string;
  company_id: string;
  external_id: string;
}

/**
 * Records that something happened to a ticket, in the caller's transaction: the outbox row is
 * the event (webhooks deliver it; the ledger will book it), so no event exists without its
 * change and no change without its event.
 */
export function ticketEvent<T extends TicketEventType>(
  type: T,
  ticket: TicketRef,
  who: { agentId?: string | null; claimId?: string | null },
  data: TicketEventData[T],
): OutboxJob {
  const event: TicketEvent<T> = {
    eventId: randomUUID(),
    ticketId: ticket.id,
    companyId: ticket.company_id,
    externalId: ticket.external_id,
    agentId: who.agentId ?? null,
    claimId: who.claimId ?? null,
    occurredAt: new Date().toISOString(),
    data,
  };
  // The pair is right by construction (name T, payload TicketEvent<T>); TypeScript cannot see
  // a generic T as one member of OutboxJob's union.
  return { name: type, payload: event } as OutboxJob;
}

/** `data` is typed by the event type (TicketEventData), so every emitter speaks the API's words. */
export function emitTicketEvent<T extends TicketEventType>(
  em: EntityManager,
  outbox: OutboxService,
  type: T,
  ticket: TicketRef,
  who: { agentId?: string | null; claimId?: string | null },
  data: TicketEventData[T],
): Promise<string> {
  const job = ticketEvent(type, ticket, who, data);
  const event = job.payload as TicketEvent;
  // Money moves on resolutions and reopens: the ledger gets its own job for those.
  const forLedger: OutboxJob[] =
    type === 'ticket.resolved' || type === 'ticket.reopened'
      ? [{ name: 'ledger.ticket-event', payload: { type, event } }]
      : [];
  return outbox.enqueueMany(em, [job, ...forLedger]).then(() => event.eventId);
}
