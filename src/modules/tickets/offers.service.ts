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
import { IneligibilityReason, ineligibilityReasons } from '../shifts/eligibility';
import { OutboxService } from '../outbox/outbox.service';
import { loadAgentContext } from './agent-context';
import { OfferDto, PendingOffersDto } from './offer.dto';
import { OfferRow, offerSurge, OffersRepository } from './offers.repository';
import { AgentTicketDto } from './ticket.dto';
import {
  liveRate,
  toAgentContext,
  toAgentTicketDto,
  toQueueItemDto,
  toTicketDto,
  toTicketSkillViews,
} from './ticket.mapper';
import { TicketMatchingRepository } from './ticket-matching.repository';
import { notOpen } from './ticket-matching.service';
import { SurgeRepository } from './surge.repository';
import { TicketsRepository } from './tickets.repository';

/** An accept refused after its offer was withdrawn (the refusal is answered after the commit). */
interface Refusal {
  refused: DomainError;
}

const notEligible = (reasons: (IneligibilityReason | { code: 'NOT_ON_SHIFT' })[]) =>
  new DomainError('NOT_ELIGIBLE', 'You are not eligible for this ticket', { reasons });

/** An agent's answers to offers: accept (a claim through write_ticket_claim) or decline. */
@Injectable()
export class OffersService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: ConfigService<Env, true>,
    private readonly offers: OffersRepository,
    private readonly tickets: TicketsRepository,
    private readonly matching: TicketMatchingRepository,
    private readonly agents: AgentsService,
    private readonly outbox: OutboxService,
    private readonly metrics: DomainMetrics,
    private readonly surge: SurgeRepository,
  ) {}

  /**
   * Claims the offered ticket, once: the agent row, then the offer row, then the ticket row are
   * locked (the claim paths' order), so concurrent accepts queue and the second finds the offer
   * accepted; a claim-next or claim by id that took the ticket first leaves it not open.
   */
  async accept(actor: Actor, offerId: string): Promise<AgentTicketDto> {
    const { userId } = requireUser(actor, 'agent');
    const claimed = await this.db.transaction(async (em): Promise<AgentTicketDto | Refusal> => {
      await this.agents.lock(em, userId);
      const offer = await this.ownOffer(em, offerId, userId);
      assertPending(offer);
      if (offer.due) throw new DomainError('OFFER_EXPIRED', 'The offer has expired');
      const ticket = await this.tickets.lockForUpdate(em, offer.ticket_id);
      if (!ticket) throw DomainError.notFound('Ticket');
      if (ticket.status === 'claimed') {
        throw new DomainError('TICKET_ALREADY_CLAIMED', 'Another agent has this ticket');
      }
      if (ticket.status !== 'open') throw notOpen(ticket.status);
      // Refused with the offer withdrawn, not left standing: it would keep the ticket from every
      // other agent until it ran out, and then count as this agent's expiry (three set the
      // agent away), though the agent answered in time.
      const withdraw = async (reason: string, refused: DomainError): Promise<Refusal> => {
        await this.offers.decide(em, offer.id, 'withdrawn', { reason });
        await this.roomMade(em, offer);
        return { refused };
      };
      const ctx = await loadAgentContext(em, this.matching, userId);
      const live = ctx.live;
      if (!live || live.shiftId !== offer.shift_id || ctx.suspended) {
        // Its shift ended (or the agent left it) before the shift's own withdrawal job ran.
        return withdraw(
          ctx.suspended ? 'suspended' : 'not on the shift',
          notEligible([ctx.suspended ? { code: 'SUSPENDED' } : { code: 'NOT_ON_SHIFT' }]),
        );
      }
      // As a claim by id checks: a certification revoked, or a skill dropped, while the offer
      // stood (up to two minutes) must not let the ticket through.
      const reasons = ineligibilityReasons(ctx, {
        companyId: ticket.company_id,
        requiredSkills: toTicketSkillViews(ticket),
        languages: [ticket.language],
        requiresCertification: live.requiresCertification,
      });
      if (reasons.length > 0) return withdraw('no longer eligible', notEligible(reasons));
      // The pending offer was counted in the limit when it was made: it becomes this claim.
      if (ctx.activeTickets >= ctx.maxConcurrentTickets) {
        throw new DomainError('AGENT_AT_CAPACITY', 'You are at your ticket limit', {
          activeTickets: ctx.activeTickets,
          maxConcurrentTickets: ctx.maxConcurrentTickets,
        });
      }
      const surge = offerSurge(offer);
      // An accept that came in time (`due` above) and then waited on the ticket's lock is
      // honoured past the expiry when the offer has no extra: the agent answered in time, the
      // ticket was kept for it meanwhile, and refusing would count our wait as its expiry.
      if (surge.extraMinor > 0) {
        // The shift's budget counts the offer's extra only until the offer expires. Under the
        // shift's surge lock (after the ticket's, as every claim path takes them), look at the
        // clock again: a claim quoting meanwhile either counted this offer, or sees this claim
        // once the lock is free, or this accept is refused. Else an accept that waited past
        // the expiry (on the ticket's lock) spent an extra the budget no longer held for it.
        await this.surge.lock(em, offer.shift_id);
        if (await this.offers.expiredNow(em, offer.id)) {
          // The agent answered in time; our wait made it late: not its expiry.
          return withdraw(
            'expired while the accept waited',
            new DomainError('OFFER_EXPIRED', 'The offer has expired'),
          );
        }
      }
      const timeout = this.config.get('HANDLE_TIMEOUT_MINUTES', { infer: true });
      // At the surge the offer showed: its budget was counted when the offer was made.
      const w = await this.matching.writeClaim(em, ticket.id, userId, live.shiftId, timeout, surge);
      await this.offers.decide(em, offer.id, 'accepted', { claimId: w.claimId });
      return toAgentTicketDto(toTicketDto(w.ticket, w.claims), w.claimId, liveRate(live));
    });
    this.outbox.poke(); // write_ticket_claim (or the withdrawal) wrote outbox rows
    if ('refused' in claimed) throw claimed.refused;
    this.metrics.ticketClaimed('by_id');
    return claimed;
  }

  /** Passes on the offer: the router offers the ticket to the next agent. */
  async decline(actor: Actor, offerId: string, reason: string): Promise<OfferDto> {
    const { userId } = requireUser(actor, 'agent');
    return this.db.transaction(async (em) => {
      const offer = await this.ownOffer(em, offerId, userId);
      assertPending(offer);
      // Run out, its expiry job not yet run: it is an expiry (which three in a row make the
      // agent away), not a decline, whatever the agent sends afterwards.
      if (offer.due) throw new DomainError('OFFER_EXPIRED', 'The offer has expired');
      await this.offers.decide(em, offer.id, 'declined', { reason });
      await this.roomMade(em, offer);
      return toOfferDto((await this.offers.lock(em, offer.id))!);
    });
  }

  /**
   * The agent's pending offers with their tickets (a console that reloads, or opens after the
   * offer.created events went by). Empty when not on a live shift.
   */
  async pending(actor: Actor): Promise<PendingOffersDto> {
    const { userId } = requireUser(actor, 'agent');
    const em = this.db.manager;
    // No agent row (an account gone since its token was issued): nothing is offered to it.
    const row = await this.matching.agentContext(em, userId);
    const live = row && toAgentContext(userId, row).live;
    if (!live) return { items: [] };
    const offers = await this.offers.pendingOf(em, userId, live.shiftId);
    const tickets = new Map(
      (
        await this.tickets.findByIds(
          em,
          offers.map((o) => o.ticket_id),
        )
      ).map((t) => [t.id, t]),
    );
    return {
      items: offers.flatMap((o) => {
        const ticket = tickets.get(o.ticket_id);
        const item = ticket && toQueueItemDto(ticket, live, offerSurge(o));
        return item ? [{ ...toOfferDto(o), ticket: item }] : [];
      }),
    };
  }

  /**
   * An offer answered without a claim: its company's router offers the ticket again, and the
   * room it held in the agent's limit counts wherever the agent is live now (checked out of the
   * offer's shift and in on another company's, its withdrawal job not yet run), as an expiry's
   * and a withdrawal's do.
   */
  private async roomMade(em: EntityManager, offer: OfferRow): Promise<void> {
    await this.outbox.enqueue(em, 'offers.route', { companyId: offer.company_id });
    await this.offers.routeForAgent(em, offer.agent_id, offer.company_id);
  }

  private async ownOffer(em: EntityManager, offerId: string, agentId: string) {
    const offer = await this.offers.lock(em, offerId);
    // Another agent's offer is not yours to see.
    if (!offer || offer.agent_id !== agentId) throw DomainError.notFound('Offer');
    return offer;
  }
}

function assertPending(offer: OfferRow): void {
  if (offer.status !== 'pending') {
    throw new DomainError('OFFER_NOT_PENDING', `The offer is ${offer.status}`, {
      status: offer.status,
    });
  }
}

export function toOfferDto(o: OfferRow): OfferDto {
  return {
    id: o.id,
    ticketId: o.ticket_id,
    shiftId: o.shift_id,
    status: o.status,
    expiresAt: o.expires_at,
    createdAt: o.created_at,
    decidedAt: o.decided_at,
    declineReason: o.decline_reason,
  };
}
