import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AgentsService } from '../agents/agents.service';
import { EventsService } from '../events/events.service';
import { HandlesJob, JobHandler } from '../jobs/job-handler';
import { JobPayloads } from '../jobs/job-registry';
import { databaseNow } from '../../database/sql';
import { OutboxService } from '../outbox/outbox.service';
import { SeatAvailabilityService } from '../shifts/seat-availability.service';
import { loadAgentContext } from './agent-context';
import { OfferRouter } from './offer-router.service';
import { OffersRepository } from './offers.repository';
import { OfferWithdrawalsRepository } from './offer-withdrawals.repository';
import { TicketMatchingRepository } from './ticket-matching.repository';
import { TicketsRepository } from './tickets.repository';

/** Runs the push router for a company (idempotent: it offers only what is still unoffered). */
@Injectable()
@JobHandler('offers.route')
export class OffersRouteHandler implements HandlesJob<'offers.route'> {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly router: OfferRouter,
    private readonly outbox: OutboxService,
  ) {}

  async handle({
    companyId,
    notBefore,
  }: JobPayloads['offers.route']): Promise<{ offered: number }> {
    if (notBefore && (await databaseNow(this.db.manager)) < Date.parse(notBefore)) {
      // Fired early: the shift it was timed for is not live yet (its seats checked in early
      // asked for no run then). Again at its time, as every other timer re-arms itself.
      await this.outbox.enqueue(
        this.db.manager,
        'offers.route',
        { companyId, notBefore },
        { runAt: new Date(notBefore) },
      );
      return { offered: 0 };
    }
    if (this.router.joinRunning(companyId)) return { offered: 0 };
    return this.router.route(companyId);
  }
}

/**
 * An offer's reservation ran out: it expires (or is withdrawn when the ticket was taken
 * meanwhile, which is not the agent's doing) and the router runs again. Three expiries in a row
 * since the agent last became available set it away, with an `agent.away` event saying why.
 * The agent's row is locked first, as an accept and a router pass take it (agent, offer, ticket):
 * a pass that read the seat available commits its offer before the agent is set away, or reads
 * the seat away and offers nothing; and an accept racing the expiry queues in the same order.
 */
@Injectable()
@JobHandler('offer.expire')
export class OfferExpireHandler implements HandlesJob<'offer.expire'> {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly offers: OffersRepository,
    private readonly tickets: TicketsRepository,
    private readonly seats: SeatAvailabilityService,
    private readonly outbox: OutboxService,
    private readonly events: EventsService,
    private readonly agents: AgentsService,
    private readonly matching: TicketMatchingRepository,
  ) {}

  handle({ offerId }: JobPayloads['offer.expire']): Promise<{ expired: boolean; away: boolean }> {
    return this.db.transaction(async (em) => {
      const agentId = await this.offers.agentOf(em, offerId);
      if (!agentId) return { expired: false, away: false };
      await this.agents.lock(em, agentId);
      const offer = await this.offers.lock(em, offerId);
      if (!offer || offer.status !== 'pending') return { expired: false, away: false };
      if (!offer.due) {
        // Fired early (clock skew): act at the deadline.
        await this.outbox.enqueue(em, 'offer.expire', { offerId }, { runAt: offer.expires_at });
        return { expired: false, away: false };
      }
      const ticket = await this.tickets.lockForUpdate(em, offer.ticket_id);
      // An expiry only while the agent could have accepted it: the ticket still open, and the
      // agent still live on the offer's shift. One made in a shift's last seconds, or whose
      // shift ended before its withdrawal job ran, is withdrawn: an accept would have been
      // refused (not on the shift), and three such would have set the agent away on its next.
      const live = (await loadAgentContext(em, this.matching, offer.agent_id)).live;
      const expired = ticket?.status === 'open' && live?.shiftId === offer.shift_id;
      await this.offers.decide(em, offer.id, expired ? 'expired' : 'withdrawn');
      let away = false;
      if (expired) {
        await this.events.record(em, {
          type: 'offer.expired',
          agentId: offer.agent_id,
          data: { offerId: offer.id, ticketId: offer.ticket_id },
        });
        const since = await this.seats.availableSince(em, offer.agent_id);
        if (since && (await this.offers.threeExpiredInARow(em, offer.agent_id, since))) {
          away = await this.seats.setAwayIn(em, offer.agent_id, 'three_offers_expired');
          if (away) {
            await this.events.record(em, {
              // The agent's alone (docs/api.md), as its availability is: not its company's bot.
              type: 'agent.away',
              agentId: offer.agent_id,
              data: {
                agentId: offer.agent_id,
                shiftId: offer.shift_id,
                reason: 'three_offers_expired',
                message: 'Three offers in a row expired unanswered: you are set away',
              },
            });
          }
        }
      }
      await this.outbox.enqueue(em, 'offers.route', { companyId: offer.company_id });
      // Room made counts wherever the agent is live now (another company's shift since).
      await this.offers.routeForAgent(em, offer.agent_id, offer.company_id);
      return { expired, away };
    });
  }
}

/**
 * An agent left the shift an offer was made on (checked out), or the company cancelled it:
 * accepting would be refused (not on the shift), yet each pending offer kept its ticket from
 * everyone else until it ran out. Withdrawn now (`offer.withdrawn` to the agent, which does not
 * count as an expiry), and the router offers the tickets again.
 */
@Injectable()
@JobHandler('offers.withdraw')
export class OffersWithdrawHandler implements HandlesJob<'offers.withdraw'> {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly withdrawals: OfferWithdrawalsRepository,
    private readonly offers: OffersRepository,
    private readonly outbox: OutboxService,
    private readonly events: EventsService,
  ) {}

  handle({ shiftId, agentId }: JobPayloads['offers.withdraw']): Promise<{ withdrawn: number }> {
    return this.db.transaction(async (em) => {
      const withdrawn = await this.withdrawals.withdrawPendingOnShift(em, shiftId, agentId);
      for (const offer of withdrawn) {
        await this.events.record(em, {
          type: 'offer.withdrawn',
          agentId: offer.agent_id,
          data: { offerId: offer.id, ticketId: offer.ticket_id, reason: 'left_shift' },
        });
      }
      for (const companyId of new Set(withdrawn.map((o) => o.company_id))) {
        await this.outbox.enqueue(em, 'offers.route', { companyId });
      }
      // An agent who left the shift may be live on another company's already (back-to-back
      // shifts, checked in early): the room its offers held is that company's now.
      await this.offers.routeForAgentsOf(em, withdrawn);
      return { withdrawn: withdrawn.length };
    });
  }
}
