import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { TicketEvent, TicketEventType } from '../jobs/job-registry';
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
export function ticketEvent(
  type: TicketEventType,
  ticket: TicketRef,
  who: { agentId?: string | null; claimId?: string | null },
  data: Record<string, unknown> = {},
): OutboxJob {
  return {
    name: type,
    payload: {
      eventId: randomUUID(),
      ticketId: ticket.id,
      companyId: ticket.company_id,
      externalId: ticket.external_id,
      agentId: who.agentId ?? null,
      claimId: who.claimId ?? null,
      occurredAt: new Date().toISOString(),
      data,
    },
  };
}

export function emitTicketEvent(
  em: EntityManager,
  outbox: OutboxService,
  type: TicketEventType,
  ticket: TicketRef,
  who: { agentId?: string | null; claimId?: string | null },
  data: Record<string, unknown> = {},
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
