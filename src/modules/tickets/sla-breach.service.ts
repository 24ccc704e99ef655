import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { OutboxService } from '../outbox/outbox.service';
import { TicketClaimsRepository } from './ticket-claims.repository';
import { emitTicketEvent } from './ticket-events';
import { rankToPriority } from './ticket.mapper';
import { TicketRow } from './ticket.rows';
import { TicketsRepository } from './tickets.repository';

/** A ticket locked by its caller, with whether its claim deadline has passed (database clock). */
export type DeadlineTicket = TicketRow & { due: boolean };

/**
 * The claim SLA's breach: an open ticket past its deadline is breached, raised one priority
 * step, and has its skill levels relaxed by one (never below 1; the requested level stays on
 * record), and its company is told. Decided by whether the ticket was open past the deadline,
 * not by when its timer ran: the SLA check (SlaCheckHandler) asks, and so do a reopen, which
 * starts a new life with a new deadline, and a withdrawal, which ends the ticket: either would
 * otherwise leave the late timer nothing to find.
 */
@Injectable()
export class SlaBreaches {
  constructor(
    private readonly outbox: OutboxService,
    private readonly tickets: TicketsRepository,
    private readonly claims: TicketClaimsRepository,
  ) {}

  /**
   * Whether the ticket's current life missed its deadline and is not marked breached yet: open
   * past it, or claimed (or resolved) since by a claim made after it or after one held across it
   * was released, before the timer ran (late: a backlog, workers down).
   */
  async missed(em: EntityManager, t: DeadlineTicket): Promise<boolean> {
    if (t.sla_breached_at || !t.due) return false;
    if (t.status === 'open') return true;
    if (t.status !== 'claimed' && t.status !== 'resolved') return false;
    return this.claims.openSinceDeadline(em, t.id);
  }

  /** Marks the locked ticket breached and tells its company (`ticket.sla_breached`). */
  async breach(em: EntityManager, t: DeadlineTicket): Promise<void> {
    const levels = t.skill_levels.map((l) => Math.max(1, l - 1));
    await this.tickets.markSlaBreached(em, t.id, levels);
    const relaxed = t.skill_codes
      .map((skill, i) => ({ skill, from: t.skill_levels[i], to: levels[i] }))
      .filter((r) => r.to < r.from);
    await emitTicketEvent(
      em,
      this.outbox,
      'ticket.sla_breached',
      t,
      {},
      {
        slaDeadline: t.sla_deadline.toISOString(),
        // In the ticket API's words (its effectivePriority now), not the stored rank.
        priorityRaisedTo: rankToPriority(Math.min(3, t.rank + 1)),
        relaxedSkills: relaxed,
      },
    );
  }
}
