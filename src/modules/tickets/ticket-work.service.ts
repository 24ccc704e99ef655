import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { Env } from '../../config/env.validation';
import { AgentsService } from '../agents/agents.service';
import { DomainMetrics } from '../metrics/domain-metrics';
import { OutboxService } from '../outbox/outbox.service';
import { ShiftFacts } from '../shifts/shift-facts.service';
import { HandoffFlagDto, TicketDto } from './ticket.dto';
import { TicketRow } from './ticket.rows';
import { TicketClaimsRepository } from './ticket-claims.repository';
import { emitTicketEvent } from './ticket-events';
import { TicketReadService } from './ticket-read.service';
import { ReleasedBy } from './ticket-rules';
import { TicketsRepository } from './tickets.repository';

/** What the claiming agent does with a ticket: keep it alive, give it back, resolve it. */
@Injectable()
export class TicketWorkService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: ConfigService<Env, true>,
    private readonly outbox: OutboxService,
    private readonly tickets: TicketsRepository,
    private readonly claims: TicketClaimsRepository,
    private readonly reads: TicketReadService,
    private readonly agents: AgentsService,
    private readonly shifts: ShiftFacts,
    private readonly metrics: DomainMetrics,
  ) {}

  /** "Still working on it": postpones the handle timeout. */
  async heartbeat(actor: Actor, ticketId: string): Promise<void> {
    const { userId } = requireUser(actor, 'agent');
    await this.db.transaction(async (em) => {
      await this.ownActiveClaim(em, ticketId, userId);
      await this.tickets.touch(em, ticketId);
    });
  }

  async release(actor: Actor, ticketId: string, reason: string): Promise<TicketDto> {
    const { userId } = requireUser(actor, 'agent');
    await this.db.transaction(async (em) => {
      const { ticket, claim } = await this.ownActiveClaim(em, ticketId, userId);
      await this.releaseClaim(em, ticket, claim.id, userId, 'agent', reason.trim());
    });
    return this.reads.load(this.db.manager, ticketId, null);
  }

  /**
   * Resolves the ticket; the pay is fixed now: the rate of the shift it was claimed under, and
   * the surge extra fixed at the claim.
   * A retry (the answer was lost) finds it resolved by the caller: the same summary answers the
   * same result and writes nothing; another summary is 409 TICKET_ALREADY_RESOLVED. Only while
   * the ticket still stands on that resolution (not after a reopen).
   */
  async resolve(
    actor: Actor,
    ticketId: string,
    summary: string,
    handoff?: HandoffFlagDto,
  ): Promise<TicketDto> {
    const { userId } = requireUser(actor, 'agent');
    const resolutionSummary = summary.trim();
    const flag = handoff ? handoffFlag(handoff) : null;
    let resolved = false; // not a retry of the agent's own resolve
    await this.db.transaction(async (em) => {
      const ticket = await this.lockForAgent(em, ticketId, userId);
      const claim = await this.claims.activeOnTicket(em, ticketId);
      if (!claim || claim.agent_id !== userId) {
        await this.assertResolvedAlike(em, ticket, userId, resolutionSummary);
        return;
      }
      const claimId = claim.id;
      // The surge was fixed at the claim; the ledger books this pay and the invoice bills it.
      const rate = await this.shifts.rateOf(em, claim.shift_id);
      const pay = { ...rate, amountMinor: rate.amountMinor + Number(claim.surge_extra_minor) };
      await this.claims.markResolved(em, claimId, resolutionSummary, pay, flag);
      await this.tickets.markResolved(em, ticketId);
      await emitTicketEvent(
        em,
        this.outbox,
        'ticket.resolved',
        ticket,
        { agentId: userId, claimId },
        { resolutionSummary, pay },
      );
      resolved = true;
    });
    if (resolved) this.metrics.ticketResolved(); // after the commit
    return this.reads.load(this.db.manager, ticketId, null);
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
    await this.claims.markReleased(em, claimId, by, reason);
    await this.tickets.markReleased(em, ticket.id);
    const cooldown = this.config.get('RELEASE_COOLDOWN_MINUTES', { infer: true });
    if (cooldown > 0) {
      await this.tickets.startCooldown(em, ticket.id, agentId, cooldown);
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
    const held = await this.claims.activeOf(em, agentId);
    for (const claim of held) {
      const ticket = await this.tickets.lockForUpdate(em, claim.ticket_id);
      await this.releaseClaim(em, ticket!, claim.id, agentId, by, reason);
    }
    return held.length;
  }

  /** Locks the ticket and checks the caller holds its active claim (and is not suspended). */
  private async ownActiveClaim(em: EntityManager, ticketId: string, agentId: string) {
    const ticket = await this.lockForAgent(em, ticketId, agentId);
    const claim = await this.claims.activeOnTicket(em, ticketId);
    if (!claim || claim.agent_id !== agentId) throw notYours();
    return { ticket, claim };
  }

  /** Locks the ticket for an agent's action; NOT_FOUND, or AGENT_SUSPENDED for a suspended one. */
  private async lockForAgent(em: EntityManager, ticketId: string, agentId: string) {
    const ticket = await this.tickets.lockForUpdate(em, ticketId);
    if (!ticket) throw DomainError.notFound('Ticket');
    // A suspended agent's tickets were released; say why rather than "not yours".
    if (await this.agents.isSuspended(em, agentId)) {
      throw new DomainError('AGENT_SUSPENDED', 'Your account is suspended');
    }
    return ticket;
  }

  /**
   * Returns when the ticket stands resolved by this agent with this summary (a retried
   * resolve); 409 for another summary; else the agent does not hold it.
   */
  private async assertResolvedAlike(
    em: EntityManager,
    ticket: TicketRow,
    agentId: string,
    resolutionSummary: string,
  ): Promise<void> {
    if (ticket.status === 'withdrawn') {
      throw new DomainError('TICKET_WITHDRAWN', "The company's bot withdrew this ticket");
    }
    const standing =
      ticket.status === 'resolved'
        ? await this.claims.standingResolution(em, ticket.id)
        : undefined;
    if (!standing || standing.agent_id !== agentId) throw notYours();
    if (standing.resolution_summary !== resolutionSummary) {
      throw new DomainError(
        'TICKET_ALREADY_RESOLVED',
        'You resolved this ticket already, with another summary',
        { resolvedAt: standing.resolved_at, resolutionSummary: standing.resolution_summary },
      );
    }
  }
}

function notYours(): DomainError {
  return new DomainError('TICKET_NOT_CLAIMED_BY_YOU', 'You do not hold this ticket');
}

/**
 * Items missing from a handoff, as stored: trimmed, lower case, each once, and none when the
 * agent called it complete (a 400 naming the field: missing items contradict "complete").
 */
function handoffFlag(h: HandoffFlagDto): { complete: boolean; missing: string[] } {
  const missing = [...new Set((h.missing ?? []).map((m) => m.trim().toLowerCase()))];
  if (h.complete && missing.length > 0) {
    throw DomainError.validation([
      {
        field: 'handoff.missing',
        messages: ['handoff.missing must be empty when the handoff is complete'],
      },
    ]);
  }
  return { complete: h.complete, missing };
}
