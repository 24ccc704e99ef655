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
import { DomainMetrics } from '../metrics/domain-metrics';
import { OutboxService } from '../outbox/outbox.service';
import { IneligibilityReason, ineligibilityReasons } from '../shifts/eligibility';
import { ShiftFacts } from '../shifts/shift-facts.service';
import { refusalFor } from './ticket-strangers';
import { AgentTicketsService } from './agent-tickets.service';
import { AgentContext, loadAgentContext, LiveShift } from './agent-context';
import { AgentTicketDto, QueueItemDto } from './ticket.dto';
import {
  liveRate,
  toAgentContext,
  toAgentTicketDto,
  toQueueItemDto,
  toTicketDto,
  toTicketSkillViews,
} from './ticket.mapper';
import { NO_SURGE, SurgeRepository } from './surge.repository';
import { TicketRow } from './ticket.rows';
import { TicketClaimsRepository } from './ticket-claims.repository';
import { TicketMatchingRepository } from './ticket-matching.repository';
import { OffersRepository } from './offers.repository';
import { TicketsRepository } from './tickets.repository';

/**
 * Why an agent may not take a ticket. NOT_ON_SHIFT names the agent's next seat that can still
 * be worked, when there is one (of the ticket's company for a claim by id, of any company for
 * claim-next): when it starts, and whether the agent is checked in (then it only has to wait).
 */
export type TicketIneligibility =
  | IneligibilityReason
  | { code: 'NOT_ON_SHIFT'; shiftId?: string; startsAt?: Date; checkedIn?: boolean }
  | { code: 'RELEASED_RECENTLY'; until: Date }
  // Offered to a push-shift agent: reserved for it until the offer is decided or expires.
  | { code: 'OFFERED'; until: Date };

// Candidates per round: under a claim storm the best few are often locked by other agents.
const ROUNDS = [8, 64, 512];

@Injectable()
export class TicketMatchingService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: ConfigService<Env, true>,
    private readonly outbox: OutboxService,
    private readonly tickets: TicketsRepository,
    private readonly claims: TicketClaimsRepository,
    private readonly matching: TicketMatchingRepository,
    private readonly offers: OffersRepository,
    private readonly agentTickets: AgentTicketsService,
    private readonly agents: AgentsService,
    private readonly shifts: ShiftFacts,
    private readonly metrics: DomainMetrics,
    private readonly surge: SurgeRepository,
  ) {}

  /** The agent's view of what it could take now, with the pay of its live shift. */
  async queue(actor: Actor, limit: number) {
    const { userId } = requireUser(actor, 'agent');
    const ctx = await loadAgentContext(this.db.manager, this.matching, userId);
    const live = this.usableLiveShift(ctx);
    const items: QueueItemDto[] = [];
    if (live) {
      const ids = await this.candidates(this.db.manager, ctx, live, limit);
      const rows = ids.length ? await this.tickets.findByIds(this.db.manager, ids) : [];
      const byId = new Map(rows.map((r) => [r.id, r]));
      // What a claim now would get; each claim fixes its own when it is made.
      const surge = ids.length
        ? await this.surge.quote(this.db.manager, live.shiftId, false)
        : NO_SURGE;
      for (const id of ids) items.push(toQueueItemDto(byId.get(id)!, live, surge));
    }
    return {
      items,
      liveShift: live && { shiftId: live.shiftId, companyId: live.companyId, endsAt: live.endsAt },
      activeTickets: ctx.activeTickets,
      maxConcurrentTickets: ctx.maxConcurrentTickets,
    };
  }

  /**
   * Claims the best eligible ticket, or returns null when there is none. One database call
   * (claim_next_ticket, ADR 0008): it locks the agent, reads its context, and claims with SKIP
   * LOCKED, writing the outbox rows; when it does not claim, the context it read says why.
   */
  async claimNext(actor: Actor): Promise<AgentTicketDto | null> {
    const { userId } = requireUser(actor, 'agent');
    const timeout = this.config.get('HANDLE_TIMEOUT_MINUTES', { infer: true });
    const row = await this.matching.claimNext(
      this.db.manager,
      userId,
      timeout,
      ROUNDS,
      this.config.get('IDEMPOTENCY_KEY_TTL_HOURS', { infer: true }),
    );
    if (!row) throw DomainError.notFound('Agent');
    // This request's key made a claim already, whose answer was lost (ClaimNextKeyed).
    if (row.prior)
      return this.agentTickets.ofClaimMade(userId, row.prior, currentIdempotencyKey()!);
    const ctx = toAgentContext(userId, row.ctx);
    const live = this.usableLiveShift(ctx);
    // The refusal path only: the next-seat hint costs a statement the claim never pays.
    if (!live) throw notEligible(await this.withNextSeat(this.agentLevelReasons(ctx), userId));
    assertPull(live); // claim_next_ticket claimed nothing on a push shift
    this.assertCapacity(ctx);
    if (!row.claimed) return null;
    this.outbox.poke(); // claim_next_ticket wrote outbox rows
    this.metrics.ticketClaimed('next'); // one statement, committed
    return toAgentTicketDto(
      toTicketDto(row.claimed.ticket, row.claimed.claims),
      row.claimed.claimId,
      liveRate(live),
    );
  }

  /** Claims one ticket by id, saying precisely why not when it cannot. */
  async claim(actor: Actor, ticketId: string): Promise<AgentTicketDto> {
    const { userId } = requireUser(actor, 'agent');
    let took = false; // not a repeat of the agent's own claim
    const claimed = await this.db.transaction(async (em) => {
      // Concurrent claims by one agent queue up here, so the concurrent-ticket limit holds.
      await this.agents.lock(em, userId);
      const ctx = await loadAgentContext(em, this.matching, userId);
      // Locked only when it is of the company the agent works for now (lockInCompany).
      const ticket = await this.tickets.lockInCompany(em, ticketId, ctx.live?.companyId ?? null);
      if (!ticket) throw DomainError.notFound('Ticket');
      // Nothing about a ticket of a company the agent is not working for right now.
      if (ctx.live?.companyId !== ticket.company_id) {
        // A suspension also ended the agent's shift: name the cause first. The hint is about
        // the agent's own seats with the ticket's company, nothing about the ticket; and to an
        // agent who never held one, not even that it exists (refusalFor).
        const off: TicketIneligibility[] = [{ code: 'NOT_ON_SHIFT' }];
        const reasons = ctx.suspended ? [{ code: 'SUSPENDED' } as const, ...off] : off;
        throw await refusalFor(em, this.shifts, userId, ticket.company_id, async () =>
          notEligible(await this.withNextSeat(reasons, userId, ticket.company_id, em)),
        );
      }
      assertPull(ctx.live);
      if (ticket.status === 'claimed') {
        if (ticket.claimed_by === userId)
          return (await this.agentTickets.held(em, ticketId, userId))!;
        throw new DomainError('TICKET_ALREADY_CLAIMED', 'Another agent has this ticket');
      }
      if (ticket.status !== 'open') throw notOpen(ticket.status);
      const reasons = await this.ticketReasons(em, ctx, ticket);
      if (reasons.length > 0) throw notEligible(reasons);
      this.assertCapacity(ctx);
      took = true;
      return this.take(em, ctx, ctx.live!, ticket);
    });
    if (took) this.metrics.ticketClaimed('by_id'); // after the commit
    return claimed;
  }

  /** The claim write claim-next also uses (write_ticket_claim): claim, events, handle timeout. */
  private async take(
    em: EntityManager,
    ctx: AgentContext,
    live: LiveShift,
    ticket: TicketRow,
  ): Promise<AgentTicketDto> {
    const timeout = this.config.get('HANDLE_TIMEOUT_MINUTES', { infer: true });
    const claimed = await this.matching.writeClaim(
      em,
      ticket.id,
      ctx.agentId,
      live.shiftId,
      timeout,
    );
    this.outbox.poke(); // write_ticket_claim wrote outbox rows
    return toAgentTicketDto(
      toTicketDto(claimed.ticket, claimed.claims),
      claimed.claimId,
      liveRate(live),
    );
  }

  private candidates(em: EntityManager, ctx: AgentContext, live: LiveShift, limit: number) {
    return this.matching.candidates(
      em,
      live.companyId,
      ctx.agentId,
      ctx.languages,
      ctx.skillCodes,
      ctx.skillLevels,
      limit,
    );
  }

  /** The live shift, if the agent may work tickets under it at all. */
  private usableLiveShift(ctx: AgentContext): LiveShift | null {
    return this.agentLevelReasons(ctx).length === 0 ? ctx.live : null;
  }

  private agentLevelReasons(ctx: AgentContext): TicketIneligibility[] {
    const reasons: TicketIneligibility[] = [];
    if (ctx.suspended) reasons.push({ code: 'SUSPENDED' });
    if (!ctx.live) reasons.push({ code: 'NOT_ON_SHIFT' });
    else if (ctx.live.requiresCertification && !ctx.certifiedBy.has(ctx.live.companyId)) {
      reasons.push({ code: 'NOT_CERTIFIED', companyId: ctx.live.companyId });
    }
    return reasons;
  }

  /** NOT_ON_SHIFT, if among the reasons, with the agent's next seat (of that company). */
  private async withNextSeat(
    reasons: TicketIneligibility[],
    agentId: string,
    companyId: string | null = null,
    em: EntityManager = this.db.manager,
  ): Promise<TicketIneligibility[]> {
    if (!reasons.some((r) => r.code === 'NOT_ON_SHIFT')) return reasons;
    const next = await this.shifts.nextSeatOf(em, agentId, companyId);
    if (!next) return reasons;
    return reasons.map((r) => (r.code === 'NOT_ON_SHIFT' ? { code: 'NOT_ON_SHIFT', ...next } : r));
  }

  private async ticketReasons(
    em: EntityManager,
    ctx: AgentContext,
    ticket: TicketRow,
  ): Promise<TicketIneligibility[]> {
    const skills = toTicketSkillViews(ticket);
    const onShift = ctx.live?.companyId === ticket.company_id;
    const reasons: TicketIneligibility[] = ineligibilityReasons(ctx, {
      companyId: ticket.company_id,
      requiredSkills: skills.map((s) => ({ skill: s.skill, minLevel: s.minLevel })),
      languages: [ticket.language],
      requiresCertification: onShift && ctx.live!.requiresCertification,
    });
    const cooldownUntil = await this.tickets.cooldownUntil(em, ticket.id, ctx.agentId);
    if (cooldownUntil) reasons.push({ code: 'RELEASED_RECENTLY', until: cooldownUntil });
    const offeredUntil = await this.offers.pendingUntil(em, ticket.id);
    if (offeredUntil) reasons.push({ code: 'OFFERED', until: offeredUntil });
    return reasons;
  }

  private assertCapacity(ctx: AgentContext): void {
    if (ctx.activeTickets >= ctx.maxConcurrentTickets) {
      throw new DomainError(
        'AGENT_AT_CAPACITY',
        `You already hold ${ctx.activeTickets} tickets, your limit`,
        { activeTickets: ctx.activeTickets, maxConcurrentTickets: ctx.maxConcurrentTickets },
      );
    }
  }
}

/** On a push shift tickets come as offers (issue 15): claim-next and claim by id refuse. */
function assertPull(live: LiveShift): void {
  if (live.routing === 'push') {
    throw new DomainError(
      'WORK_COMES_AS_OFFERS',
      'Your live shift routes work as offers: accept them from your event stream',
      { shiftId: live.shiftId },
    );
  }
}

function notEligible(reasons: TicketIneligibility[]): DomainError {
  return new DomainError('NOT_ELIGIBLE', 'You are not eligible for this ticket', { reasons });
}

/**
 * A ticket that cannot be claimed: resolved says so; a withdrawn one is "not open" like any
 * other, since that the bot withdrew it is its company's and its agent's business.
 */
export function notOpen(status: string): DomainError {
  return new DomainError(
    'TICKET_NOT_OPEN',
    status === 'withdrawn' ? 'The ticket is not open' : `The ticket is ${status}`,
  );
}
