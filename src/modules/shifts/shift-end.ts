import { ConfigService } from '@nestjs/config';
import { EntityManager } from 'typeorm';
import { Env } from '../../config/env.validation';
import { databaseNow } from '../../database/sql';
import { OutboxService } from '../outbox/outbox.service';

/**
 * When a shift ends, is cancelled, or an agent checks out, the tickets held under it go back to
 * the queue after SHIFT_END_TICKET_GRACE_MINUTES (time to wrap up a conversation).
 */
export async function releaseTicketsLater(
  em: EntityManager,
  outbox: OutboxService,
  config: ConfigService<Env, true>,
  shiftId: string,
  agentId: string | null,
): Promise<void> {
  const graceMs = config.get('SHIFT_END_TICKET_GRACE_MINUTES', { infer: true }) * 60_000;
  // From the database's clock, by which the release judges it due: an API process whose clock
  // ran behind by more than the grace took the agent's tickets back at once.
  const dueAt = new Date((await databaseNow(em)) + graceMs);
  await outbox.enqueue(
    em,
    'ticket.shift-end-release',
    { shiftId, agentId, dueAt: dueAt.toISOString() },
    { runAt: dueAt },
  );
}

/**
 * Seats freed by a transaction that holds an agent's row (a suspension, a revoked
 * certification) go to their waitlists by a job, in that transaction: the promotion locks the
 * line's agents, which must come before any agent's row (ADR 0004).
 */
export async function offerToWaitlists(
  em: EntityManager,
  outbox: OutboxService,
  shiftIds: string[],
): Promise<void> {
  await outbox.enqueueMany(
    em,
    shiftIds.map((shiftId) => ({ name: 'shift.promote-waitlist', payload: { shiftId } })),
  );
}
