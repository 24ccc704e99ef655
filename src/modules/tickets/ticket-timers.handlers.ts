import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Env } from '../../config/env.validation';
import { HandlesJob, JobHandler } from '../jobs/job-handler';
import { JobPayloads } from '../jobs/job-registry';
import { DomainMetrics } from '../metrics/domain-metrics';
import { OutboxService } from '../outbox/outbox.service';
import { ShiftFacts } from '../shifts/shift-facts.service';
import { TicketClaimsRepository } from './ticket-claims.repository';
import { rankToPriority } from './ticket.mapper';
import { emitTicketEvent } from './ticket-events';
import { TicketWorkService } from './ticket-work.service';
import { TicketsRepository } from './tickets.repository';

/*
 * Every ticket timer locks the ticket, checks that its state still calls for action and that the
 * moment has come by the database's clock, and otherwise does nothing (or re-arms itself when it
 * fired early). A duplicate or late firing therefore acts at most once.
 */

/** Claim SLA: an open ticket past its deadline is breached, raised one priority step, and has
 * its skill levels relaxed by one (never below 1; the requested level stays on record). So is
 * one claimed after its deadline before the timer ran. */
@Injectable()
@JobHandler('ticket.sla-check')
export class SlaCheckHandler implements HandlesJob<'ticket.sla-check'> {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxService,
    private readonly tickets: TicketsRepository,
    private readonly claims: TicketClaimsRepository,
    private readonly metrics: DomainMetrics,
  ) {}

  async handle({ ticketId }: JobPayloads['ticket.sla-check']): Promise<{ breached: boolean }> {
    const result = await this.breachIfDue(ticketId);
    if (result.breached) this.metrics.slaBreached(); // after the commit; a rerun finds it breached
    return result;
  }

  private breachIfDue(ticketId: string): Promise<{ breached: boolean }> {
    return this.db.transaction(async (em) => {
      const t = await this.tickets.lockForSlaCheck(em, ticketId);
      if (!t || t.sla_breached_at) return { breached: false };
      if (t.status === 'open' && !t.due) {
        await this.outbox.enqueue(em, 'ticket.sla-check', { ticketId }, { runAt: t.sla_deadline });
        return { breached: false };
      }
      // Claimed after its deadline (or released after it and claimed again) before this ran
      // late (a backlog, workers down): it was open past the deadline all the same, and is
      // breached as an on-time run would have, so the count does not depend on timer lateness.
      const lateClaimed =
        (t.status === 'claimed' || t.status === 'resolved') &&
        t.due &&
        (await this.claims.openSinceDeadline(em, ticketId));
      if (t.status !== 'open' && !lateClaimed) return { breached: false };
      const levels = t.skill_levels.map((l) => Math.max(1, l - 1));
      await this.tickets.markSlaBreached(em, ticketId, levels);
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
      return { breached: true };
    });
  }
}

/** A claim with no activity for HANDLE_TIMEOUT_MINUTES goes back to the queue. */
@Injectable()
@JobHandler('ticket.handle-timeout')
export class HandleTimeoutHandler implements HandlesJob<'ticket.handle-timeout'> {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: ConfigService<Env, true>,
    private readonly outbox: OutboxService,
    private readonly work: TicketWorkService,
    private readonly tickets: TicketsRepository,
    private readonly claims: TicketClaimsRepository,
  ) {}

  handle({ claimId }: JobPayloads['ticket.handle-timeout']): Promise<{ released: boolean }> {
    const minutes = this.config.get('HANDLE_TIMEOUT_MINUTES', { infer: true });
    return this.db.transaction(async (em) => {
      const claim = await this.claims.findActive(em, claimId);
      if (!claim) return { released: false };
      const t = await this.tickets.lockForHandleTimeout(em, claim.ticket_id, minutes);
      // Re-read under the ticket lock: a resolve or release may have just committed.
      if (!(await this.claims.isActive(em, claimId))) return { released: false };
      if (!t.idle) {
        await this.outbox.enqueue(
          em,
          'ticket.handle-timeout',
          { claimId },
          { runAt: t.idle_until },
        );
        return { released: false };
      }
      await this.work.releaseClaim(
        em,
        t,
        claimId,
        claim.agent_id,
        'handle_timeout',
        `no activity for ${minutes} minutes`,
      );
      return { released: true };
    });
  }
}

/**
 * After a shift ends (or an agent checks out) plus SHIFT_END_TICKET_GRACE_MINUTES, tickets
 * still held under that shift go back to the queue, unless the agent is by then checked in on
 * another live shift of the same company paying in the same currency, which carries them on.
 */
@Injectable()
@JobHandler('ticket.shift-end-release')
export class ShiftEndReleaseHandler implements HandlesJob<'ticket.shift-end-release'> {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxService,
    private readonly work: TicketWorkService,
    private readonly tickets: TicketsRepository,
    private readonly claims: TicketClaimsRepository,
    private readonly shifts: ShiftFacts,
  ) {}

  handle(
    payload: JobPayloads['ticket.shift-end-release'],
  ): Promise<{ released: number; carried: number }> {
    const { shiftId, agentId, dueAt } = payload;
    return this.db.transaction(async (em) => {
      if (!(await this.tickets.hasPassed(em, dueAt))) {
        await this.outbox.enqueue(em, 'ticket.shift-end-release', payload, {
          runAt: new Date(dueAt),
        });
        return { released: 0, carried: 0 };
      }
      const claims = await this.claims.activeUnderShift(em, shiftId, agentId);
      let released = 0;
      let carried = 0;
      for (const c of claims) {
        const t = await this.tickets.lockForUpdate(em, c.ticket_id);
        // Read again under the lock: resolved, released, or carried to another shift meanwhile
        // (whose own release, after its own grace, decides then).
        if (!(await this.claims.isActive(em, c.id, shiftId))) continue;
        const next = await this.shifts.liveShiftLike(em, c.agent_id, shiftId);
        if (next) {
          await this.claims.moveToShift(em, c.id, next);
          carried += 1;
        } else {
          await this.work.releaseClaim(em, t!, c.id, c.agent_id, 'shift_end', 'the shift ended');
          released += 1;
        }
      }
      return { released, carried };
    });
  }
}
