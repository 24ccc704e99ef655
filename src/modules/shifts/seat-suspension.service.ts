import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ShiftClaimEndingsRepository } from './shift-claim-endings.repository';
import { ShiftWaitlistRepository } from './shift-waitlist.repository';
import { OutboxService } from '../outbox/outbox.service';
import { offerToWaitlists } from './shift-end';
import { LiveSeatShiftsRepository } from './live-seat-shifts.repository';

/** What a suspension does to an agent's seats (the agents module drives the use case). */
@Injectable()
export class SeatSuspension {
  constructor(
    private readonly outbox: OutboxService,
    private readonly liveSeats: LiveSeatShiftsRepository,
    private readonly endings: ShiftClaimEndingsRepository,
    private readonly waitlistEntries: ShiftWaitlistRepository,
  ) {}

  /**
   * Locks the shifts of the agent's active seats that have not ended, in id order, and returns
   * them: shift rows come before the agent's row in every transaction (ADR 0004).
   */
  lockShiftsOf(em: EntityManager, agentId: string): Promise<string[]> {
    return this.liveSeats.lockWithLiveSeatsOf(em, agentId);
  }

  /**
   * Shifts on which the agent now holds a seat that are not among `locked`: seats claimed by
   * transactions that committed after lockShiftsOf read (they held the agent's lock before the
   * caller took it). Read under the agent's lock, which no later seat claim gets past.
   */
  async seatsBeyond(em: EntityManager, agentId: string, locked: string[]): Promise<string[]> {
    const now = await this.liveSeats.withLiveSeatsOf(em, agentId);
    return now.filter((id) => !locked.includes(id));
  }

  /**
   * Cancels the agent's seats on those shifts (claimed or checked in, not ended), frees them and
   * takes the agent off every waitlist. Not a late cancellation: the agent did not choose it.
   * The freed seats go to their waitlists by a job written here (shift.promote-waitlist).
   */
  async cancelSeats(em: EntityManager, agentId: string, shiftIds: string[]): Promise<void> {
    const freed = await this.endings.cancelForSuspension(em, agentId, shiftIds);
    await this.liveSeats.freeOneSeatEach(em, freed);
    await this.waitlistEntries.removeEverywhere(em, agentId);
    await offerToWaitlists(em, this.outbox, freed);
  }
}
