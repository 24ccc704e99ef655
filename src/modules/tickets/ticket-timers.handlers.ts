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
import { TicketWorkService } from './ticket-work.service';
import { SlaBreaches } from './sla-breach.service';
import { TicketsRepository } from './tickets.repository';

/*
 * Every ticket timer locks the ticket, checks that its state still calls for action and that the
 * moment has come by the database's clock, and otherwise does nothing (or re-arms itself when it
 * fired early). A duplicate or late firing therefore acts at most once.
 */

/** Claim SLA: breaches the ticket if it missed its deadline (SlaBreaches); re-arms if early. */
@Injectable()
@JobHandler('ticket.sla-check')
export class SlaCheckHandler implements HandlesJob<'ticket.sla-check'> {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxService,
    private readonly tickets: TicketsRepository,
    private readonly sla: SlaBreaches,
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
      if (!t) return { breached: false };
      if (t.status === 'open' && !t.due && !t.sla_breached_at) {
        await this.outbox.enqueue(em, 'ticket.sla-check', { ticketId }, { runAt: t.sla_deadline });
        return { breached: false };
      }
      if (!(await this.sla.missed(em, t))) return { breached: false };
      await this.sla.breach(em, t);
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
