import { EntityManager } from 'typeorm';
import { OutboxService } from '../outbox/outbox.service';
import { TicketsRepository } from './tickets.repository';

/**
 * The agent who gave a ticket back is not offered it again for `minutes`. When that ends the
 * router runs for the company again: nothing else changes then, so the trigger that asks for it
 * on every change would not, and a ticket only that agent can take stayed unoffered (push shifts;
 * for a company with none the job finds nothing to do).
 */
export async function coolDown(
  em: EntityManager,
  deps: { tickets: TicketsRepository; outbox: OutboxService },
  ticket: { id: string; company_id: string },
  agentId: string,
  minutes: number,
): Promise<void> {
  if (minutes <= 0) return;
  const until = await deps.tickets.startCooldown(em, ticket.id, agentId, minutes);
  // A second past it: a job run a moment early (another host's clock) would find it running.
  const runAt = new Date(until.getTime() + 1000);
  await deps.outbox.enqueue(em, 'offers.route', { companyId: ticket.company_id }, { runAt });
}
