import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AgentsService } from '../agents/agents.service';
import { EventsService } from '../events/events.service';
import { OutboxService } from '../outbox/outbox.service';
import { loadAgentContext } from './agent-context';
import { toQueueItemDto } from './ticket.mapper';
import { TicketMatchingRepository } from './ticket-matching.repository';
import { OfferableTicketsRepository } from './offerable-tickets.repository';
import { OfferRoutingRepository, RoutingCandidate } from './offer-routing.repository';
import { OffersRepository } from './offers.repository';
import { SurgeRepository } from './surge.repository';

// Agents read at a time, and passes per run: a run stops when a pass offers nothing.
const AGENTS_PER_PASS = 20;
const MAX_PASSES = 200;
// How long a batch's order is trusted while it is being offered.
const BATCH_FRESH_MS = 250;
/** How soon a route runs again after a ticket it could offer was held by another transaction. */
const LOCKED_RETRY_MS = 1_000;

/**
 * The push router (issue 15). It runs in a job after commit (`offers.route`, written by the
 * trigger offers_route_request or by a decline or expiry), never in the transaction that opened
 * the ticket or freed the agent: intake and resolve stay short and never wait on agent locks,
 * and the router sees only committed state. Each offer is its own transaction: the agent row is
 * locked (so two routers, or a router and an accept, cannot push it past its limit: the load is
 * recounted after the lock), and the ticket is picked with SKIP LOCKED, so two routers never
 * offer one ticket twice (uq_offers_pending_ticket is the last word).
 */
@Injectable()
export class OfferRouter {
  private readonly log = new Logger(OfferRouter.name);
  /**
   * When this process last asked for a run of each company after a locked ticket: a pass
   * whose agents all met the same held ticket asks once, not once per agent.
   */
  private readonly retryAskedAt = new Map<string, number>();
  /**
   * Companies being routed in this process, with whether another request came in meanwhile.
   * Every intake, resolve and check-in asks for a run; under load most would run the same
   * queries side by side and then fight over the same rows (bench/fairness.ts fell behind).
   * A request for a company already being routed here only marks it, and the running loop goes
   * round once more after its pass, so the request is never lost (it may have come after the
   * pass looked). Other processes still route in parallel, which the locks make safe.
   */
  private readonly running = new Map<
    string,
    { again: boolean; done: Promise<{ offered: number }> }
  >();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly offers: OffersRepository,
    private readonly matching: TicketMatchingRepository,
    private readonly agents: AgentsService,
    private readonly outbox: OutboxService,
    private readonly events: EventsService,
    private readonly surge: SurgeRepository,
    private readonly offerable: OfferableTicketsRepository,
    private readonly routing: OfferRoutingRepository,
  ) {}

  /**
   * Offers the company's open tickets to its available agents until no pair is left. A call
   * while a run for the company is going in this process joins that run (which goes round once
   * more for it) and answers what the run offered.
   */
  route(companyId: string): Promise<{ offered: number }> {
    const current = this.running.get(companyId);
    if (current) {
      current.again = true;
      return current.done;
    }
    const state = { again: true, done: Promise.resolve({ offered: 0 }) };
    state.done = (async () => {
      let offered = 0;
      try {
        while (state.again) {
          state.again = false;
          offered += await this.routeOnce(companyId);
        }
      } finally {
        this.running.delete(companyId);
      }
      return { offered };
    })();
    this.running.set(companyId, state);
    return state.done;
  }

  /**
   * For the job: when a run for the company is going in this process, marks it to go round once
   * more and answers true, so the job need not hold a worker slot waiting for it.
   */
  joinRunning(companyId: string): boolean {
    const current = this.running.get(companyId);
    if (current) current.again = true;
    return current !== undefined;
  }

  private async routeOnce(companyId: string): Promise<number> {
    let offered = 0;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      // Most runs (a claim ended, a seat came back) find no ticket waiting: one cheap read
      // instead of a locked transaction per candidate agent.
      if (!(await this.routing.hasUnofferedTicket(this.db.manager, companyId))) return offered;
      const { made, stale } = await this.pass(companyId);
      offered += made;
      if (made === 0 && !stale) return offered;
    }
    // The limit reached with work left (a pass cut short after each offer, on a slow database):
    // another run, as a job, rather than leaving the rest until something else asks for one
    // (accepts do not), or holding this worker longer.
    await this.outbox.enqueue(this.db.manager, 'offers.route', { companyId });
    return offered;
  }

  /**
   * Offers to the agents in the router's order, a batch at a time. The batch is offered in turn
   * before the order is read again (offering to one agent changes no other agent's place in
   * it); but an agent freed meanwhile is not in it (and may be owed the next offer by the
   * fairness floor), so a batch older than BATCH_FRESH_MS ends the pass, to be read again. A
   * batch in which nobody could take a waiting ticket (other skills, languages, cooldowns; one
   * statement says which could) goes on to the next: the first agents in the order are the ones that waiting tickets passed
   * over, and they stay first, so stopping there left a ticket unoffered while an agent further
   * down could take it.
   */
  private async pass(companyId: string): Promise<{ made: number; stale: boolean }> {
    // An agent found to have had work since the order was read: the order is read again (a
    // ticket it would have been offered may wait for nothing else to ask for a route).
    let moved = false;
    for (let skip = 0; ; skip += AGENTS_PER_PASS) {
      const agents = await this.routing.candidateAgents(
        this.db.manager,
        companyId,
        AGENTS_PER_PASS,
        skip,
      );
      const readAt = Date.now();
      const able = await this.routing.withOfferableTicket(
        this.db.manager,
        companyId,
        agents.map((a) => a.agentId),
      );
      let made = 0;
      let tried = 0;
      for (const agent of agents) {
        if (!able.has(agent.agentId)) continue;
        // The first able agent is always tried: on a slow database the statements above alone
        // can outlast the freshness bound, and every pass then ended before offering anything.
        if (tried > 0 && Date.now() - readAt > BATCH_FRESH_MS) return { made, stale: true };
        tried++;
        const outcome = await this.offerOne(companyId, agent);
        if (outcome === 'moved') moved = true;
        else if (outcome) made++;
      }
      if (made > 0 || agents.length < AGENTS_PER_PASS) return { made, stale: moved };
    }
  }

  /** Offered, or not; `moved`: the agent had work since its place in the order was read. */
  private async offerOne(
    companyId: string,
    candidate: RoutingCandidate,
  ): Promise<boolean | 'moved'> {
    const { agentId } = candidate;
    try {
      return await this.db.transaction(async (em) => {
        await this.agents.lock(em, agentId);
        // Offered (or claimed) since its place was read, by another process's router that read
        // the same order: it goes back in line, behind those who have waited longer.
        if (await this.routing.hadWorkSince(em, agentId, candidate.lastWork)) return 'moved';
        const ctx = await loadAgentContext(em, this.matching, agentId);
        const live = ctx.live;
        if (!live || live.companyId !== companyId || live.routing !== 'push') return false;
        if (live.availability !== 'available' || ctx.suspended) return false;
        if (live.requiresCertification && !ctx.certifiedBy.has(companyId)) return false;
        const pending = await this.offers.pendingCount(em, agentId);
        if (ctx.activeTickets + pending >= ctx.maxConcurrentTickets) return false;
        const ids = await this.matching.candidates(
          em,
          companyId,
          agentId,
          ctx.languages,
          ctx.skillCodes,
          ctx.skillLevels,
          await this.routing.candidateWindow(em, agentId, live.shiftId, companyId),
        );
        if (ids.length === 0) return false;
        const agent = {
          id: agentId,
          shiftId: live.shiftId,
          skillCodes: ctx.skillCodes,
          skillLevels: ctx.skillLevels,
        };
        const ticket = await this.offerable.lockOfferable(em, ids, agent);
        if (!ticket) {
          // Passed over only because another transaction held it a moment (a message, a
          // timer): nothing else may ask for a route once it is free, and it stayed unoffered
          // with this agent idle. Asked again shortly.
          const asked = this.retryAskedAt.get(companyId) ?? 0;
          if (
            Date.now() - asked >= LOCKED_RETRY_MS &&
            (await this.offerable.offerableButLocked(em, ids, agent))
          ) {
            this.retryAskedAt.set(companyId, Date.now());
            await this.outbox.enqueue(
              em,
              'offers.route',
              { companyId },
              { runAt: new Date(Date.now() + LOCKED_RETRY_MS) },
            );
          }
          return false;
        }
        // Fixed now (under the shift's surge lock, counted against its budget): the accept
        // claims at it, so the agent is paid what the offer showed.
        const surge = await this.surge.quote(em, live.shiftId, true);
        const offer = await this.offers.insert(em, {
          ticketId: ticket.id,
          agentId,
          companyId,
          shiftId: live.shiftId,
          seconds: live.offerSeconds,
          surge,
        });
        await this.outbox.enqueue(
          em,
          'offer.expire',
          { offerId: offer.id },
          { runAt: offer.expires_at },
        );
        const item = toQueueItemDto(ticket, live, surge);
        await this.events.record(em, {
          type: 'offer.created',
          agentId,
          data: {
            offerId: offer.id,
            ticketId: ticket.id,
            shiftId: live.shiftId,
            expiresAt: offer.expires_at.toISOString(),
            offerSeconds: live.offerSeconds,
            ticket: {
              subject: item.subject,
              summary: item.summary,
              effectivePriority: item.effectivePriority,
              language: item.language,
              requiredSkills: item.requiredSkills,
              slaDeadline: item.slaDeadline.toISOString(),
              companyName: item.companyName,
            },
            pay: item.pay,
            surge: item.surge,
          },
        });
        return true;
      });
    } catch (err) {
      // Another router offered the ticket between our read and insert: try the next pair.
      if ((err as { constraint?: string }).constraint === 'uq_offers_pending_ticket') return false;
      this.log.warn(`offer to ${agentId} failed: ${(err as Error).message}`);
      throw err;
    }
  }
}
