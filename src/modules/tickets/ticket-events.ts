import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { JobPayloads, TicketEventType } from '../jobs/job-registry';
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
  const { payload } = ticketEvent(type, ticket, who, data);
  return outbox.enqueue(em, type, payload as JobPayloads[TicketEventType]);
}
