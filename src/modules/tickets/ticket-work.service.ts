import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { changedRows } from '../../database/sql';
import { Env } from '../../config/env.validation';
import { OutboxService } from '../outbox/outbox.service';
import { TicketDto } from './ticket.dto';
import { emitTicketEvent } from './ticket-events';
import { loadTicket, TicketRow } from './ticket-views';

export type ReleasedBy = 'agent' | 'handle_timeout' | 'shift_end' | 'suspension';

/** What the claiming agent does with a ticket: keep it alive, give it back, resolve it. */
@Injectable()
export class TicketWorkService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: ConfigService<Env, true>,
    private readonly outbox: OutboxService,
  ) {}

  /** "Still working on it": postpones the handle timeout. */
  async heartbeat(actor: Actor, ticketId: string): Promise<void> {
    const { userId } = requireUser(actor, 'agent');
    await this.db.transaction(async (em) => {
      await this.ownActiveClaim(em, ticketId, userId);
      await em.query('UPDATE tickets SET last_activity_at = now() WHERE id = $1', [ticketId]);
    });
  }

  async release(actor: Actor, ticketId: string, reason: string): Promise<TicketDto> {
    const { userId } = requireUser(actor, 'agent');
    await this.db.transaction(async (em) => {
      const { ticket, claimId } = await this.ownActiveClaim(em, ticketId, userId);
      await this.releaseClaim(em, ticket, claimId, userId, 'agent', reason.trim());
    });
    return loadTicket(this.db.manager, ticketId, null);
  }

  /** Resolves the ticket; the pay is fixed now from the rate of the shift it was claimed under. */
  async resolve(actor: Actor, ticketId: string, summary: string): Promise<TicketDto> {
    const { userId } = requireUser(actor, 'agent');
    await this.db.transaction(async (em) => {
      const { ticket, claimId } = await this.ownActiveClaim(em, ticketId, userId);
      const [pay] = await changedRows<{ amount: string; currency: string }>(
        em,
        `UPDATE ticket_claims c SET status = 'resolved', resolved_at = now(),
                resolution_summary = $2, rate_amount_minor = s.rate_amount_minor,
                rate_currency = s.rate_currency
           FROM shifts s
          WHERE c.id = $1 AND s.id = c.shift_id
          RETURNING c.rate_amount_minor AS amount, c.rate_currency AS currency`,
        [claimId, summary.trim()],
      );
      await em.query(
        `UPDATE tickets SET status = 'resolved', claimed_by = NULL, resolved_at = now(),
                updated_at = now() WHERE id = $1`,
        [ticketId],
      );
      await emitTicketEvent(
        em,
        this.outbox,
        'ticket.resolved',
        ticket,
        { agentId: userId, claimId },
        {
          resolutionSummary: summary.trim(),
          pay: { amountMinor: Number(pay.amount), currency: pay.currency },
        },
      );
    });
    return loadTicket(this.db.manager, ticketId, null);
  }

  /**
   * Puts a ticket back in the queue (used by agents, the handle timeout and shift end). The
   * agent is not offered it again for RELEASE_COOLDOWN_MINUTES.
   */
  async releaseClaim(
    em: EntityManager,
    ticket: TicketRow,
    claimId: string,
    agentId: string,
    by: ReleasedBy,
    reason: string | null,
  ): Promise<void> {
    await em.query(
      `UPDATE ticket_claims SET status = 'released', released_at = now(), released_by = $2,
              release_reason = $3 WHERE id = $1`,
      [claimId, by, reason],
    );
    await em.query(
      `UPDATE tickets SET status = 'open', claimed_by = NULL, claimed_at = NULL,
              last_activity_at = NULL, updated_at = now() WHERE id = $1`,
      [ticket.id],
    );
    const cooldown = this.config.get('RELEASE_COOLDOWN_MINUTES', { infer: true });
    if (cooldown > 0) {
      await em.query(
        `INSERT INTO ticket_cooldowns (ticket_id, agent_id, until)
         VALUES ($1, $2, now() + make_interval(mins => $3))
         ON CONFLICT ON CONSTRAINT pk_ticket_cooldowns DO UPDATE SET until = EXCLUDED.until`,
        [ticket.id, agentId, cooldown],
      );
    }
    await emitTicketEvent(
      em,
      this.outbox,
      'ticket.released',
      ticket,
      { agentId, claimId },
      {
        releasedBy: by,
        reason,
      },
    );
    // Its claim deadline may have passed while it was held: let the SLA check look again.
    if (!ticket.sla_breached_at) {
      const runAt = new Date(Math.max(ticket.sla_deadline.getTime(), Date.now()));
      await this.outbox.enqueue(em, 'ticket.sla-check', { ticketId: ticket.id }, { runAt });
    }
  }

  /**
   * Every ticket the agent holds goes back to the queue at once (a suspension), each with its
   * `ticket.released` event. The caller holds the agent's row lock; tickets are locked after it,
   * the order the claim path uses.
   */
  async releaseAllOf(
    em: EntityManager,
    agentId: string,
    by: ReleasedBy,
    reason: string,
  ): Promise<number> {
    const held: { id: string; ticket_id: string }[] = await em.query(
      `SELECT id, ticket_id FROM ticket_claims WHERE agent_id = $1 AND status = 'active'
        ORDER BY ticket_id`,
      [agentId],
    );
    for (const claim of held) {
      const [ticket]: TicketRow[] = await em.query(
        'SELECT * FROM tickets WHERE id = $1 FOR UPDATE',
        [claim.ticket_id],
      );
      await this.releaseClaim(em, ticket, claim.id, agentId, by, reason);
    }
    return held.length;
  }

  /** Locks the ticket and checks the caller holds its active claim (and is not suspended). */
  private async ownActiveClaim(em: EntityManager, ticketId: string, agentId: string) {
    const [ticket]: TicketRow[] = await em.query('SELECT * FROM tickets WHERE id = $1 FOR UPDATE', [
      ticketId,
    ]);
    if (!ticket) throw DomainError.notFound('Ticket');
    const [claim]: { id: string; agent_id: string; suspended: boolean }[] = await em.query(
      `SELECT c.id, c.agent_id, (SELECT suspended_at IS NOT NULL FROM agents
                                  WHERE user_id = $2) AS suspended
         FROM (SELECT 1) one
         LEFT JOIN ticket_claims c ON c.ticket_id = $1 AND c.status = 'active'`,
      [ticketId, agentId],
    );
    // A suspended agent's tickets were released; say why rather than "not yours".
    if (claim.suspended) {
      throw new DomainError('AGENT_SUSPENDED', 'Your account is suspended');
    }
    if (!claim.id || claim.agent_id !== agentId) {
      throw new DomainError('TICKET_NOT_CLAIMED_BY_YOU', 'You do not hold this ticket');
    }
    return { ticket, claimId: claim.id };
  }
}
