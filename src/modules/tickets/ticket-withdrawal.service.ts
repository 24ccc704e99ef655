import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireBot } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { Env } from '../../config/env.validation';
import { EventsService } from '../events/events.service';
import { TicketEvent } from '../jobs/job-registry';
import { DomainMetrics } from '../metrics/domain-metrics';
import { OutboxJob, OutboxService } from '../outbox/outbox.service';
import { ShiftFacts } from '../shifts/shift-facts.service';
import { OfferWithdrawalsRepository } from './offer-withdrawals.repository';
import { OffersRepository } from './offers.repository';
import { SlaBreaches } from './sla-breach.service';
import { TicketDto } from './ticket.dto';
import { TicketRow } from './ticket.rows';
import { TicketClaimsRepository } from './ticket-claims.repository';
import { ticketEvent } from './ticket-events';
import { TicketMessagesRepository } from './ticket-messages.repository';
import { TicketReadService } from './ticket-read.service';
import { TicketsRepository } from './tickets.repository';

/** The bot withdraws its escalation: the customer left or was helped. */
@Injectable()
export class TicketWithdrawalService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: ConfigService<Env, true>,
    private readonly outbox: OutboxService,
    private readonly events: EventsService,
    private readonly tickets: TicketsRepository,
    private readonly claims: TicketClaimsRepository,
    private readonly messages: TicketMessagesRepository,
    private readonly reads: TicketReadService,
    private readonly offers: OffersRepository,
    private readonly shifts: ShiftFacts,
    private readonly withdrawals: OfferWithdrawalsRepository,
    private readonly sla: SlaBreaches,
    private readonly metrics: DomainMetrics,
  ) {}

  /**
   * The customer left or was helped: open or claimed → withdrawn, for good. If the holder had
   * written to the customer, its claim is resolved as a resolution would be (the rate of the
   * shift the claim is on and the surge extra fixed at the claim, and the platform fee in
   * force) and the ledger books it like any resolution (the agent worked); else
   * the claim ends as `withdrawn`, nothing is earned or billed, and nothing counts against the
   * agent. A ticket that missed its claim deadline and whose SLA timer has not run yet is
   * breached first, as the timer would have. Withdrawing a withdrawn ticket again answers it as
   * it is.
   */
  async withdraw(actor: Actor, externalId: string, reason: string): Promise<TicketDto> {
    const { companyId } = requireBot(actor);
    const why = reason.trim();
    let breached = false;
    const id = await this.db.transaction(async (em) => {
      const ticket = await this.lockWithItsOffers(em, companyId, externalId);
      if (!ticket) throw DomainError.notFound('Ticket');
      if (ticket.status === 'withdrawn') return ticket.id;
      if (ticket.status === 'resolved') {
        throw new DomainError('TICKET_NOT_OPEN', 'A resolved ticket cannot be withdrawn');
      }
      // Open past its claim deadline, and its timer late (a backlog): breached now, as the timer
      // would have found it, since a withdrawn ticket is no longer one it acts on. Asked before
      // the claim ends: a claim made after the deadline is what makes a claimed ticket late.
      const lapsed = { ...ticket, due: await this.tickets.deadlinePassed(em, ticket.id) };
      breached = await this.sla.missed(em, lapsed);
      if (breached) await this.sla.breach(em, lapsed);
      const claim = await this.claims.activeOnTicket(em, ticket.id);
      let pay: { amountMinor: number; currency: string } | null = null;
      if (claim && (await this.messages.wroteToCustomer(em, claim.id))) {
        const shiftRate = await this.shifts.rateOf(em, claim.shift_id);
        pay = await this.claims.resolveWithdrawn(
          em,
          claim.id,
          `Withdrawn: ${why}`,
          shiftRate,
          this.config.get('PLATFORM_FEE_BPS', { infer: true }),
        );
      } else if (claim) {
        await this.claims.markReleased(em, claim.id, 'withdrawn', why);
      }
      await this.messages.markWithdrawn(em, ticket.id, why);
      await this.withdrawOffersOn(em, companyId, ticket.id);
      const job = ticketEvent(
        'ticket.withdrawn',
        ticket,
        { agentId: claim?.agent_id, claimId: claim?.id },
        { reason: why, paid: pay !== null, pay },
      );
      const event = job.payload as TicketEvent;
      const forLedger: OutboxJob[] = pay
        ? [{ name: 'ledger.ticket-event', payload: { type: 'ticket.withdrawn', event } }]
        : [];
      await this.outbox.enqueueMany(em, [job, ...forLedger]);
      // The holder learns it live; the company's stream keeps the record.
      await this.events.record(em, {
        type: 'ticket.withdrawn',
        companyId,
        agentId: claim?.agent_id ?? null,
        data: { ...event },
      });
      return ticket.id;
    });
    if (breached) this.metrics.slaBreached(); // after the commit, as the SLA timer counts
    return this.reads.load(this.db.manager, id, companyId);
  }

  /**
   * Locks the ticket's pending offers, then the ticket: the order of an offer's accept and
   * expiry. A router pass holding the ticket may commit an offer after the first look; once
   * the ticket is ours no new one can be made, so its offers are locked again without waiting.
   * If an accept holds one (it waits on the ticket), the ticket is let go (back to the
   * savepoint) and both are taken again in order: the accept goes first, not a deadlock.
   */
  private async lockWithItsOffers(
    em: EntityManager,
    companyId: string,
    externalId: string,
  ): Promise<TicketRow | undefined> {
    for (;;) {
      await this.withdrawals.lockPendingOnTicket(em, companyId, externalId);
      await em.query('SAVEPOINT withdraw_ticket');
      const ticket = await this.messages.lockByExternalId(em, companyId, externalId);
      if (!ticket || (await this.withdrawals.tryLockPendingOn(em, ticket.id))) {
        await em.query('RELEASE SAVEPOINT withdraw_ticket');
        return ticket;
      }
      await em.query('ROLLBACK TO SAVEPOINT withdraw_ticket');
    }
  }

  /**
   * A withdrawn ticket's pending offers are withdrawn with it: each held a place in its agent's
   * ticket limit until it ran out (up to the shift's offer time), so the agent got no other
   * work meanwhile. The agent's desk drops the offer (`offer.withdrawn`) and the router runs.
   */
  private async withdrawOffersOn(em: EntityManager, companyId: string, ticketId: string) {
    const withdrawn = await this.withdrawals.withdrawPendingOn(em, ticketId);
    for (const offer of withdrawn) {
      await this.events.record(em, {
        type: 'offer.withdrawn',
        agentId: offer.agent_id,
        data: { offerId: offer.id, ticketId, reason: 'ticket_withdrawn' },
      });
    }
    if (withdrawn.length > 0) await this.outbox.enqueue(em, 'offers.route', { companyId });
    // An agent checked out of the offer's shift may be live on another company's already.
    await this.offers.routeForAgentsOf(em, withdrawn);
  }
}
