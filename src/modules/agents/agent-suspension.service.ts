import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { EventHub } from '../events/event-hub.service';
import { SeatSuspension } from '../shifts/seat-suspension.service';
import { TicketWorkService } from '../tickets/ticket-work.service';
import { AgentProfileDto } from './agent.dto';
import { AgentsService } from './agents.service';

/**
 * Suspending an agent stops its work at once, in one transaction: it holds no ticket (each goes
 * back to the queue with a `ticket.released` event, releasedBy `suspension`, which the company's
 * webhook receives), no seat on a shift that has not ended (cancelled, not counted against it as
 * a late cancellation), no waitlist place; claims, heartbeats and resolutions are refused while
 * suspended. Reinstating only lifts the suspension.
 */
/** Each attempt reads the seats again; two are enough unless the agent claims seats in a loop. */
const MAX_ATTEMPTS = 5;

/** A seat committed on a shift the suspension had not locked: roll back and read again. */
class SeatClaimedMeanwhile extends Error {}

@Injectable()
export class AgentSuspensionService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly agents: AgentsService,
    private readonly seats: SeatSuspension,
    private readonly tickets: TicketWorkService,
    private readonly hub: EventHub,
  ) {}

  async suspend(actor: Actor, agentId: string, reason: string): Promise<AgentProfileDto> {
    requireUser(actor, 'admin');
    const freed = await this.suspendOnce(agentId, reason.trim());
    // After the commit: a stream reopened now is refused (the suspension is visible).
    await this.hub.endStreamsOf(agentId);
    await this.seats.offerFreedSeats(freed);
    return this.agents.profileOf(agentId);
  }

  /**
   * The suspension's transaction; the shifts whose seats it freed. Lock order everywhere: shift
   * rows, then the agent row, then ticket rows. A seat claimed after the shifts were read waits
   * for the agent's lock and then sees the suspension; but one that already held the agent's
   * lock commits its seat on a shift not locked here, which this cannot lock now (after the
   * agent's row: a deadlock with any claim on that shift). So it rolls back and starts again,
   * and the next reading of the shifts has that seat.
   */
  private async suspendOnce(agentId: string, reason: string, attempt = 1): Promise<string[]> {
    try {
      return await this.db.transaction(async (em) => {
        const shiftIds = await this.seats.lockShiftsOf(em, agentId);
        if (!(await this.agents.markSuspended(em, agentId, reason))) {
          throw DomainError.notFound('Agent');
        }
        if ((await this.seats.seatsBeyond(em, agentId, shiftIds)).length > 0) {
          throw new SeatClaimedMeanwhile();
        }
        // Offers before seats: an offer's expiry locks the offer, then the ticket, then the seat.
        await this.tickets.withdrawOffersOf(em, agentId);
        const cancelledOn = await this.seats.cancelSeats(em, agentId, shiftIds);
        await this.tickets.releaseAllOf(em, agentId, 'suspension', 'the agent was suspended');
        return cancelledOn;
      });
    } catch (e) {
      if (!(e instanceof SeatClaimedMeanwhile)) throw e;
      if (attempt >= MAX_ATTEMPTS) {
        throw new DomainError(
          'SERVICE_UNAVAILABLE',
          'The agent kept claiming seats while being suspended; try again',
        );
      }
      return this.suspendOnce(agentId, reason, attempt + 1);
    }
  }

  async reinstate(actor: Actor, agentId: string): Promise<AgentProfileDto> {
    requireUser(actor, 'admin');
    if (!(await this.agents.markReinstated(this.db.manager, agentId))) {
      throw DomainError.notFound('Agent');
    }
    return this.agents.profileOf(agentId);
  }
}
