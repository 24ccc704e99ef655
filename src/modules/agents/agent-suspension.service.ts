import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { endStreamsNow } from '../events/end-streams.handler';
import { EventHub } from '../events/event-hub.service';
import { EventsService } from '../events/events.service';
import { OutboxService } from '../outbox/outbox.service';
import { SeatSuspension } from '../shifts/seat-suspension.service';
import { TicketWorkService } from '../tickets/ticket-work.service';
import { AgentProfileDto } from './agent.dto';
import { AgentsService } from './agents.service';
import { retryWhileSeatsClaimed, SeatClaimedMeanwhile } from './seat-race';

/**
 * Suspending an agent stops its work at once, in one transaction: it holds no ticket (each goes
 * back to the queue with a `ticket.released` event, releasedBy `suspension`, which the company's
 * webhook receives), no seat on a shift that has not ended (cancelled, not counted against it as
 * a late cancellation), no waitlist place; claims, heartbeats and resolutions are refused while
 * suspended. Reinstating only lifts the suspension.
 */
@Injectable()
export class AgentSuspensionService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly agents: AgentsService,
    private readonly seats: SeatSuspension,
    private readonly tickets: TicketWorkService,
    private readonly hub: EventHub,
    private readonly outbox: OutboxService,
    private readonly events: EventsService,
  ) {}

  async suspend(actor: Actor, agentId: string, reason: string): Promise<AgentProfileDto> {
    requireUser(actor, 'admin');
    const suspended = await this.suspendOnce(agentId, reason.trim());
    if (!suspended) return this.agents.profileOf(agentId);
    // After the commit: a stream reopened now is refused (the suspension is visible). The job
    // the suspension wrote ends them too, should this never run (the process died) or fail.
    await this.hub.endStreamsOf(agentId);
    return this.agents.profileOf(agentId);
  }

  /**
   * The suspension's transaction; its freed seats go to their waitlists by a job it writes
   * (shift.promote-waitlist). Lock order everywhere: shift rows, then the agent row, then ticket
   * rows. A seat claimed after the shifts were read waits for the agent's lock and then sees the
   * suspension; one that already held it is read again (retryWhileSeatsClaimed).
   *
   * An agent already suspended has no work left to end: a second suspension (another admin, a
   * page not reloaded) changes nothing but the reason, and tells the agent only a new one.
   * Answers whether the agent was suspended now (false: it already was).
   */
  private suspendOnce(agentId: string, reason: string): Promise<boolean> {
    return retryWhileSeatsClaimed(
      () =>
        this.db.transaction(async (em) => {
          const shiftIds = await this.seats.lockShiftsOf(em, agentId);
          const before = await this.agents.markSuspended(em, agentId, reason);
          if (!before) throw DomainError.notFound('Agent');
          if (before.wasSuspended) {
            if (before.reasonBefore !== reason) {
              await this.events.record(em, { type: 'agent.suspended', agentId, data: { reason } });
            }
            return false;
          }
          if ((await this.seats.seatsBeyond(em, agentId, shiftIds)).length > 0) {
            throw new SeatClaimedMeanwhile();
          }
          // Offers before seats: an offer's expiry locks the offer, then the ticket, then the seat.
          await this.tickets.withdrawOffersOf(em, agentId);
          await this.seats.cancelSeats(em, agentId, shiftIds);
          await this.tickets.releaseAllOf(em, agentId, 'suspension', 'the agent was suspended');
          // Told, not only cut off: the console reconnects after its stream ends and reads this
          // (its seats, offers and open shifts had stood as they were until a reload).
          await this.events.record(em, { type: 'agent.suspended', agentId, data: { reason } });
          await this.outbox.enqueue(em, 'events.end-streams', endStreamsNow(agentId));
          return true;
        }),
      'The agent kept claiming seats while being suspended; try again',
    );
  }

  async reinstate(actor: Actor, agentId: string): Promise<AgentProfileDto> {
    requireUser(actor, 'admin');
    // One transaction, so that a keyed retry after its lost answer is told ANSWER_LOST
    // (KeyedCommits follows transactions), not run again over a suspension made since.
    const found = await this.db.transaction(async (em) => {
      const was = await this.agents.markReinstated(em, agentId);
      // The agent's open console reads its open shifts and profile again (once: reinstating an
      // active agent tells it nothing).
      if (was) await this.events.record(em, { type: 'agent.reinstated', agentId, data: {} });
      return was !== null;
    });
    if (!found) throw DomainError.notFound('Agent');
    return this.agents.profileOf(agentId);
  }
}
