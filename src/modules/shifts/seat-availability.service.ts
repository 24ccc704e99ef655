import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { AgentsService } from '../agents/agents.service';
import { OutboxService } from '../outbox/outbox.service';
import { AvailabilityDto } from './shift-claim.dto';
import type { SeatAvailability } from './shift-rules';
import { LiveSeatRow, SeatAvailabilityRepository } from './seat-availability.repository';

/**
 * Away is a break on a checked-in seat: no offers, held tickets stay the agent's. Time away is
 * summed per seat; beyond the shift's maxAwayMinutes it is reported as `awayOverCapSeconds`.
 * Coming back (or checking in) makes the router run for the company: a trigger on shift_claims
 * writes the `offers.route` job (migration Offers); the relays are woken after the commit, as
 * for any job (OutboxService.poke), not by the trigger (a NOTIFY in the transaction would
 * serialise commits).
 */
@Injectable()
export class SeatAvailabilityService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly seats: SeatAvailabilityRepository,
    private readonly outbox: OutboxService,
    private readonly agents: AgentsService,
  ) {}

  async set(actor: Actor, status: SeatAvailability): Promise<AvailabilityDto> {
    const { userId } = requireUser(actor, 'agent');
    const answer = await this.db.transaction(async (em) => {
      // The agent's lock, which a router pass holds from reading the seat available to
      // committing its offer: going away then comes after that offer (the agent sees it) or
      // before the pass reads the seat (no offer). Being set away by three expiries takes it
      // too (the expiry job).
      await this.agents.lock(em, userId);
      // With no seat live, the next one checked into early: a break carried onto it from a
      // shift that has ended can be ended before the next one starts.
      const seat = await this.requireSeat(em, userId, true);
      await this.seats.set(em, userId, status, null);
      return toAvailabilityDto(await this.seats.seat(em, seat.id));
    });
    if (status === 'available') this.outbox.poke();
    return answer;
  }

  async get(actor: Actor): Promise<AvailabilityDto> {
    const { userId } = requireUser(actor, 'agent');
    return this.db.transaction(async (em) =>
      toAvailabilityDto(await this.requireSeat(em, userId, false)),
    );
  }

  /** Sets the agent's live seat away with a reason (three offers expired), in the caller's tx. */
  async setAwayIn(em: EntityManager, agentId: string, reason: string): Promise<boolean> {
    const seat = await this.seats.lockLiveSeat(em, agentId);
    if (!seat || seat.availability === 'away') return false;
    await this.seats.set(em, agentId, 'away', reason);
    return true;
  }

  /** When the agent's live seat last became available (offers before it do not count). */
  async availableSince(em: EntityManager, agentId: string): Promise<Date | null> {
    const seat = await this.seats.lockLiveSeat(em, agentId);
    return seat && seat.availability === 'available' ? seat.since : null;
  }

  /**
   * The seat live now, else (`orNext`) the next one checked into early (see lockNextSeat). The
   * desk reads only a live one: before the start it waits, as it should, for the shift.
   */
  private async requireSeat(em: EntityManager, agentId: string, orNext: boolean) {
    const seat =
      (await this.seats.lockLiveSeat(em, agentId)) ??
      (orNext ? await this.seats.lockNextSeat(em, agentId) : undefined);
    if (!seat) {
      throw new DomainError(
        'NOT_CHECKED_IN',
        orNext ? 'You are not checked in on a shift' : 'You are not checked in on a shift live now',
      );
    }
    return seat;
  }
}

function toAvailabilityDto(s: LiveSeatRow): AvailabilityDto {
  const cap = s.max_away_minutes === null ? null : s.max_away_minutes * 60;
  return {
    status: s.availability,
    changedAt: s.since,
    shiftId: s.shift_id,
    seatId: s.id,
    routing: s.routing,
    awaySeconds: s.away_seconds,
    maxAwayMinutes: s.max_away_minutes,
    awayOverCapSeconds: cap === null ? 0 : Math.max(0, s.away_seconds - cap),
    awayReason: s.away_reason,
    shiftEndsAt: s.shift_ends_at,
  };
}
