import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { currentIdempotencyKey } from '../../common/http/request-context';
import { Env } from '../../config/env.validation';
import { AgentsService } from '../agents/agents.service';
import { answerLostError } from '../idempotency/idempotency-answers';
import { AgentTicketsService } from './agent-tickets.service';
import { DomainMetrics } from '../metrics/domain-metrics';
import { OutboxService } from '../outbox/outbox.service';
import { AgentTicketDto, HandoffFlagDto } from './ticket.dto';
import { toAgentTicketDto, toTicketDto } from './ticket.mapper';
import { TicketRow } from './ticket.rows';
import { TicketClaimsRepository } from './ticket-claims.repository';
import { emitTicketEvent } from './ticket-events';
import { TicketReadService } from './ticket-read.service';
import { StandingResolutionJson, TicketResolveRepository } from './ticket-resolve.repository';
import { ReleasedBy } from './ticket-rules';
import { OfferWithdrawalsRepository } from './offer-withdrawals.repository';
import { coolDown } from './ticket-cooldown';
import { TicketMessagesRepository } from './ticket-messages.repository';
import { TicketsRepository } from './tickets.repository';
import { refusalFor } from './ticket-strangers';
import { ShiftFacts } from '../shifts/shift-facts.service';
import { EventsService } from '../events/events.service';

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
    private readonly resolves: TicketResolveRepository,
    private readonly metrics: DomainMetrics,
    private readonly withdrawals: OfferWithdrawalsRepository,
    private readonly agentTickets: AgentTicketsService,
    private readonly shifts: ShiftFacts,
    private readonly messages: TicketMessagesRepository,
    private readonly events: EventsService,
  ) {}

  /** "Still working on it": postpones the handle timeout. */
  async heartbeat(actor: Actor, ticketId: string): Promise<void> {
    const { userId } = requireUser(actor, 'agent');
    await this.db.transaction(async (em) => {
      await this.ownActiveClaim(em, ticketId, userId);
      await this.tickets.touch(em, ticketId);
    });
  }

  async release(actor: Actor, ticketId: string, reason: string): Promise<AgentTicketDto> {
    const { userId } = requireUser(actor, 'agent');
    const claimId = await this.db.transaction(async (em) => {
      const { ticket, claim } = await this.ownActiveClaim(em, ticketId, userId);
      // Also an internal note, as a transfer's is: the next agent reads it in the conversation
      // (on the claim alone, only the company saw it).
      await this.messages.handoverNote(em, ticket, claim.id, userId, reason.trim());
      await this.releaseClaim(em, ticket, claim.id, userId, 'agent', reason.trim());
      return claim.id;
    });
    return this.agentTickets.asWorkedOn(this.db.manager, ticketId, claimId);
  }

  /**
   * Resolves the ticket; the pay is fixed now: the rate of the shift the claim is on (the next
   * shift's, for a claim carried over at a shift's end: ADR 0016), and the surge extra fixed at
   * the claim.
   * A retry (the answer was lost) finds it resolved by the caller: the same summary answers the
   * same result and writes nothing; another summary is 409 TICKET_ALREADY_RESOLVED. Only while
   * the ticket still stands on that resolution; after a reopen, a retry under the same
   * Idempotency-Key is ANSWER_LOST (it never resolves the agent's claim of it again).
   */
  async resolve(
    actor: Actor,
    ticketId: string,
    summary: string,
    handoff?: HandoffFlagDto,
  ): Promise<AgentTicketDto> {
    const { userId } = requireUser(actor, 'agent');
    const resolutionSummary = summary.trim();
    const flag = handoff ? handoffFlag(handoff) : null;
    // One database call (resolve_ticket, ADR 0008): checks and writes under the ticket's lock.
    const done = await this.resolves.resolve(
      this.db.manager,
      ticketId,
      userId,
      resolutionSummary,
      flag,
      // Fixed on the claim with its pay: the ledger books this fee, whenever its job runs.
      this.config.get('PLATFORM_FEE_BPS', { infer: true }),
      this.config.get('IDEMPOTENCY_KEY_TTL_HOURS', { infer: true }),
    );
    if (done.outcome === 'not_found') throw DomainError.notFound('Ticket');
    // The retry of a resolve whose answer was lost, made after a reopen: done, not again.
    if (done.outcome === 'resolved_before') throw answerLostError(currentIdempotencyKey()!);
    if (done.outcome === 'suspended') {
      const found = await this.tickets.findScoped(this.db.manager, ticketId, null);
      if (!found) throw DomainError.notFound('Ticket');
      throw await refusalFor(this.db.manager, this.shifts, userId, found.company_id, suspended);
    }
    if (done.outcome === 'resolved') {
      this.outbox.poke(); // resolve_ticket wrote the event and the ledger job
      this.metrics.ticketResolved(); // one statement, committed
    } else {
      const heldIt = done.claims.some((c) => c.agentId === userId);
      if (!heldIt) {
        const { company_id } = done.ticket;
        throw await refusalFor(this.db.manager, this.shifts, userId, company_id, notYours);
      }
      assertResolvedAlike(done.ticket, done.standing, userId, resolutionSummary, heldIt);
    }
    const ticket = toTicketDto(done.ticket, done.claims);
    // The agent's view (their claims only, as every agent answer): the resolution standing is
    // theirs, its pay fixed. Not another agent's earlier claims (a reopened ticket's).
    const mine = ticket.claims.findLast((c) => c.agentId === userId && c.status === 'resolved')!;
    return toAgentTicketDto(ticket, mine.claimId, null);
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
    await coolDown(em, { tickets: this.tickets, outbox: this.outbox }, ticket, agentId, cooldown);
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
   * the order the claim path uses. The agent's lock stops new claims, not the end of one it
   * holds (a resolve, a release, a timer), so each claim is checked again under its ticket's
   * lock, as the timers do: one that ended meanwhile is left as it is (and its ticket, which
   * may be someone else's by now). The number released.
   */
  async releaseAllOf(
    em: EntityManager,
    agentId: string,
    by: ReleasedBy,
    reason: string,
  ): Promise<number> {
    let released = 0;
    for (const claim of await this.claims.activeOf(em, agentId)) {
      const ticket = await this.tickets.lockForUpdate(em, claim.ticket_id);
      if (!(await this.claims.isActive(em, claim.id))) continue;
      await this.releaseClaim(em, ticket!, claim.id, agentId, by, reason);
      released += 1;
    }
    return released;
  }

  /**
   * The agent's pending offers are withdrawn (a suspension: it could not accept them), so their
   * tickets go to the router again now rather than when the offers run out. The caller holds the
   * agent's row lock, which an accept takes first.
   */
  async withdrawOffersOf(em: EntityManager, agentId: string): Promise<void> {
    const withdrawn = await this.withdrawals.withdrawPendingOf(em, agentId);
    // The agent's desk drops each at once (it showed Accept until the offer ran out).
    for (const offer of withdrawn) {
      await this.events.record(em, {
        type: 'offer.withdrawn',
        agentId,
        data: { offerId: offer.id, ticketId: offer.ticket_id, reason: 'suspended' },
      });
    }
    for (const companyId of new Set(withdrawn.map((o) => o.company_id))) {
      await this.outbox.enqueue(em, 'offers.route', { companyId });
    }
  }

  /**
   * Locks the ticket and checks the caller holds its active claim: NOT_FOUND, AGENT_SUSPENDED
   * or TICKET_NOT_CLAIMED_BY_YOU otherwise (the last two only to an agent who ever held a seat
   * with the ticket's company: refusalFor).
   */
  private async ownActiveClaim(em: EntityManager, ticketId: string, agentId: string) {
    // Locked only when the agent holds it (lockIfHeldBy).
    const { ticket, held } = await this.tickets.lockIfHeldBy(em, ticketId, agentId);
    if (!ticket) throw DomainError.notFound('Ticket');
    const refuse = (reason: () => DomainError) =>
      refusalFor(em, this.shifts, agentId, ticket.company_id, reason);
    // A suspended agent's tickets were released; say why rather than "not yours".
    if (await this.agents.isSuspended(em, agentId)) throw await refuse(suspended);
    const claim = held ? await this.claims.activeOnTicket(em, ticketId) : undefined;
    if (!claim || claim.agent_id !== agentId) throw await refuse(notYours);
    return { ticket, claim };
  }
}

function notYours(): DomainError {
  return new DomainError('TICKET_NOT_CLAIMED_BY_YOU', 'You do not hold this ticket');
}

function suspended(): DomainError {
  return new DomainError('AGENT_SUSPENDED', 'Your account is suspended');
}

/**
 * Returns when the ticket stands resolved by this agent with this summary (a retried resolve);
 * 409 for another summary; else the agent does not hold it. Read under the ticket's lock. That
 * the bot withdrew it is told only to an agent who held it (`heldIt`): to any other it is a
 * ticket they do not hold, as any other company's ticket is.
 */
function assertResolvedAlike(
  ticket: TicketRow,
  standing: StandingResolutionJson | null,
  agentId: string,
  resolutionSummary: string,
  heldIt: boolean,
): void {
  if (ticket.status === 'withdrawn' && heldIt) {
    throw new DomainError('TICKET_WITHDRAWN', "The company's bot withdrew this ticket");
  }
  if (ticket.status !== 'resolved' || !standing || standing.agentId !== agentId) throw notYours();
  if (standing.resolutionSummary !== resolutionSummary) {
    throw new DomainError(
      'TICKET_ALREADY_RESOLVED',
      'You resolved this ticket already, with another summary',
      { resolvedAt: new Date(standing.resolvedAt), resolutionSummary: standing.resolutionSummary },
    );
  }
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
