import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EntityManager } from 'typeorm';
import { Env } from '../../config/env.validation';
import { OutboxService } from '../outbox/outbox.service';
import { offerToWaitlists, releaseTicketsLater } from './shift-end';
import { ShiftClaimEndingsRepository } from './shift-claim-endings.repository';
import { ShiftWaitlistRepository } from './shift-waitlist.repository';
import { LiveSeatShiftsRepository } from './live-seat-shifts.repository';

/**
 * What a company's revoking an agent's certification does to the agent's seats on the
 * company's certified-only shifts (the agents module drives the use case, as it does a
 * suspension's: SeatSuspension). Without it the agent kept such seats, and the company's
 * seats, while matching gave them no ticket: a seat nobody could work or refill.
 */
@Injectable()
export class SeatRevocation {
  constructor(
    private readonly config: ConfigService<Env, true>,
    private readonly outbox: OutboxService,
    private readonly liveSeats: LiveSeatShiftsRepository,
    private readonly endings: ShiftClaimEndingsRepository,
    private readonly waitlist: ShiftWaitlistRepository,
  ) {}

  /** Locks those shifts (with a seat of the agent that has not ended) in id order; their ids. */
  lockShiftsOf(em: EntityManager, agentId: string, companyId: string): Promise<string[]> {
    return this.liveSeats.lockCertifiedWithLiveSeatsOf(em, agentId, companyId);
  }

  /** Such shifts with a seat of the agent that are not among `locked` (claimed meanwhile). */
  async seatsBeyond(
    em: EntityManager,
    agentId: string,
    companyId: string,
    locked: string[],
  ): Promise<string[]> {
    const now = await this.liveSeats.withLiveSeatsOf(em, agentId, '', companyId);
    return now.filter((id) => !locked.includes(id));
  }

  /**
   * Ends the agent's seats on those shifts (ShiftClaimEndingsRepository.endForRevocation says how),
   * frees those that can be given again and takes the agent off the company's certified-only
   * waitlists. A seat that was being worked ends as a check-out does: the tickets in hand go
   * back to the queue after SHIFT_END_TICKET_GRACE_MINUTES (time to close a conversation), and
   * pending offers are withdrawn. Freed seats go to their waitlists by a job written here.
   */
  async endSeats(
    em: EntityManager,
    agentId: string,
    companyId: string,
    shiftIds: string[],
  ): Promise<void> {
    const closeMinutes = this.config.get('SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END', { infer: true });
    const { worked, freed } = await this.endings.endForRevocation(
      em,
      agentId,
      shiftIds,
      closeMinutes,
    );
    await this.liveSeats.freeOneSeatEach(em, freed);
    await this.waitlist.removeFromCertifiedOnlyOf(em, agentId, companyId);
    for (const shiftId of worked) {
      await releaseTicketsLater(em, this.outbox, this.config, shiftId, agentId);
    }
    // A seat checked in early may have had an offer too (a push shift's router runs at the start).
    for (const shiftId of new Set([...worked, ...freed])) {
      await this.outbox.enqueue(em, 'offers.withdraw', { shiftId, agentId });
    }
    await offerToWaitlists(em, this.outbox, freed);
  }
}
