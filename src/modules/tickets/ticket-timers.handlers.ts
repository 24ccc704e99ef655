import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Env } from '../../config/env.validation';
import { HandlesJob, JobHandler } from '../jobs/job-handler';
import { JobPayloads } from '../jobs/job-registry';
import { OutboxService } from '../outbox/outbox.service';
import { emitTicketEvent } from './ticket-events';
import { TicketRow } from './ticket-views';
import { TicketWorkService } from './ticket-work.service';

/*
 * Every ticket timer locks the ticket, checks that its state still calls for action and that the
 * moment has come by the database's clock, and otherwise does nothing (or re-arms itself when it
 * fired early). A duplicate or late firing therefore acts at most once.
 */

/** Claim SLA: an open ticket past its deadline is breached, raised one priority step, and has
 * its skill levels relaxed by one (never below 1; the requested level stays on record). */
@Injectable()
@JobHandler('ticket.sla-check')
export class SlaCheckHandler implements HandlesJob<'ticket.sla-check'> {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxService,
  ) {}

  handle({ ticketId }: JobPayloads['ticket.sla-check']): Promise<{ breached: boolean }> {
    return this.db.transaction(async (em) => {
      const [t]: (TicketRow & { due: boolean })[] = await em.query(
        'SELECT *, sla_deadline <= now() AS due FROM tickets WHERE id = $1 FOR UPDATE',
        [ticketId],
      );
      if (!t || t.status !== 'open' || t.sla_breached_at) return { breached: false };
      if (!t.due) {
        await this.outbox.enqueue(em, 'ticket.sla-check', { ticketId }, { runAt: t.sla_deadline });
        return { breached: false };
      }
      const levels = t.skill_levels.map((l) => Math.max(1, l - 1));
      await em.query(
        `UPDATE tickets SET sla_breached_at = now(), rank = least(3, rank + 1),
                skill_levels = $2, updated_at = now()
          WHERE id = $1`,
        [ticketId, levels],
      );
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
          slaDeadline: t.sla_deadline,
          priorityRaisedTo: Math.min(3, t.rank + 1),
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
  ) {}

  handle({ claimId }: JobPayloads['ticket.handle-timeout']): Promise<{ released: boolean }> {
    const minutes = this.config.get('HANDLE_TIMEOUT_MINUTES', { infer: true });
    return this.db.transaction(async (em) => {
      const [claim]: { ticket_id: string; agent_id: string }[] = await em.query(
        `SELECT ticket_id, agent_id FROM ticket_claims WHERE id = $1 AND status = 'active'`,
        [claimId],
      );
      if (!claim) return { released: false };
      const [t]: (TicketRow & { idle_until: Date; idle: boolean })[] = await em.query(
        `SELECT *, last_activity_at + make_interval(mins => $2) AS idle_until,
                last_activity_at + make_interval(mins => $2) <= now() AS idle
           FROM tickets WHERE id = $1 FOR UPDATE`,
        [claim.ticket_id, minutes],
      );
      // Re-read under the ticket lock: a resolve or release may have just committed.
      const [still]: unknown[] = await em.query(
        `SELECT 1 FROM ticket_claims WHERE id = $1 AND status = 'active'`,
        [claimId],
      );
      if (!still) return { released: false };
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
 * another live shift of the same company, which carries them on.
 */
@Injectable()
@JobHandler('ticket.shift-end-release')
export class ShiftEndReleaseHandler implements HandlesJob<'ticket.shift-end-release'> {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxService,
    private readonly work: TicketWorkService,
  ) {}

  handle(
    payload: JobPayloads['ticket.shift-end-release'],
  ): Promise<{ released: number; carried: number }> {
    const { shiftId, agentId, dueAt } = payload;
    return this.db.transaction(async (em) => {
      const [{ due }] = await em.query('SELECT $1::timestamptz <= now() AS due', [dueAt]);
      if (!due) {
        await this.outbox.enqueue(em, 'ticket.shift-end-release', payload, {
          runAt: new Date(dueAt),
        });
        return { released: 0, carried: 0 };
      }
      const claims: { id: string; ticket_id: string; agent_id: string; company_id: string }[] =
        await em.query(
          `SELECT id, ticket_id, agent_id, company_id FROM ticket_claims
            WHERE shift_id = $1 AND status = 'active' AND ($2::uuid IS NULL OR agent_id = $2)
            ORDER BY ticket_id`,
          [shiftId, agentId],
        );
      let released = 0;
      let carried = 0;
      for (const c of claims) {
        const [t]: TicketRow[] = await em.query('SELECT * FROM tickets WHERE id = $1 FOR UPDATE', [
          c.ticket_id,
        ]);
        const [still]: unknown[] = await em.query(
          `SELECT 1 FROM ticket_claims WHERE id = $1 AND status = 'active'`,
          [c.id],
        );
        if (!still) continue;
        const [next]: { shift_id: string }[] = await em.query(
          `SELECT s.id AS shift_id FROM shift_claims sc JOIN shifts s ON s.id = sc.shift_id
            WHERE sc.agent_id = $1 AND sc.status = 'checked_in' AND s.company_id = $2
              AND s.status = 'scheduled' AND s.starts_at <= now() AND s.ends_at > now()`,
          [c.agent_id, c.company_id],
        );
        if (next) {
          await em.query('UPDATE ticket_claims SET shift_id = $2 WHERE id = $1', [
            c.id,
            next.shift_id,
          ]);
          carried += 1;
        } else {
          await this.work.releaseClaim(em, t, c.id, c.agent_id, 'shift_end', 'the shift ended');
          released += 1;
        }
      }
      return { released, carried };
    });
  }
}
