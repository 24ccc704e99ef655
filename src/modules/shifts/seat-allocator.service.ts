import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EntityManager } from 'typeorm';
import { DomainError } from '../../common/errors/domain-error';
import { Env } from '../../config/env.validation';
import { AgentsService } from '../agents/agents.service';
import { OutboxService } from '../outbox/outbox.service';
import { SeatSource, ShiftClaimsRepository } from './shift-claims.repository';
import { claimsClosed } from './seat-window';
import { ShiftWithSkills } from './shift.rows';
import { SeatCloseMinutes, ShiftSeatsRepository } from './shift-seats.repository';

/**
 * Takes one seat for one agent inside the caller's transaction. Lock order is always the shift
 * row, then the agent row, so claims, cancellations and promotions cannot deadlock.
 * Guarantees come from the database: the conditional seat update (never past `seats`), the
 * agent row lock (hours in any 168 hours counted without a race) and the exclusion constraint
 * ex_shift_claims_agent_overlap (never two overlapping seats; it surfaces as SHIFT_OVERLAP).
 */
@Injectable()
export class SeatAllocator {
  constructor(
    private readonly config: ConfigService<Env, true>,
    private readonly outbox: OutboxService,
    private readonly shiftSeats: ShiftSeatsRepository,
    private readonly claims: ShiftClaimsRepository,
    private readonly agents: AgentsService,
  ) {}

  async allocate(
    em: EntityManager,
    shift: ShiftWithSkills,
    agentId: string,
    source: SeatSource,
  ): Promise<string> {
    // Direct claims close SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END before the end (never before the
    // start); the waitlist may still fill a seat a no-show freed until the end.
    const closeMinutes: SeatCloseMinutes =
      source === 'direct'
        ? this.config.get('SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END', { infer: true })
        : 0;
    // Held from the start, or from now when taken after it: the period recorded, the hours
    // counted and the check-in deadline all start there.
    const heldFrom = await this.shiftSeats.takeSeat(em, shift.id, closeMinutes);
    if (!heldFrom) throw await this.whyNoSeat(em, shift.id, closeMinutes);

    const agent = await this.agents.lock(em, agentId);
    // Eligibility was read before this lock; a suspension committed since then still counts.
    if (agent.suspended) {
      throw new DomainError('NOT_ELIGIBLE', 'You are not eligible for this shift', {
        reasons: [{ code: 'SUSPENDED' }],
      });
    }
    // So is a certification revoked since then: the revocation holds this lock while it ends
    // the agent's seats, so a seat taken after it would be one it never saw.
    if (
      shift.requiresCertification &&
      !(await this.agents.isCertifiedBy(em, agentId, shift.companyId))
    ) {
      throw new DomainError('NOT_ELIGIBLE', 'You are not eligible for this shift', {
        reasons: [{ code: 'NOT_CERTIFIED', companyId: shift.companyId }],
      });
    }
    await this.checkWeeklyHours(em, agentId, heldFrom, shift.endsAt);

    const claim = await this.claims.insert(em, shift, agentId, source, heldFrom);
    await this.outbox.enqueue(
      em,
      'shift-claim.no-show-check',
      { claimId: claim.id },
      { runAt: claim.check_in_deadline },
    );
    return claim.id;
  }

  private async whyNoSeat(em: EntityManager, shiftId: string, closeMinutes: SeatCloseMinutes) {
    const s = await this.shiftSeats.seatState(em, shiftId, closeMinutes);
    if (!s.scheduled) {
      return new DomainError('SHIFT_CLOSED', 'The shift has ended or been cancelled');
    }
    if (!s.open) return claimsClosed(s.claims_close_at);
    return new DomainError('SHIFT_FULL', 'Every seat on this shift is taken');
  }

  /**
   * No 168-hour window, wherever it starts, may hold more seat hours than WEEKLY_HOURS_CAP, this
   * seat included. (A calendar week in the agent's zone let an agent hold twice the cap across
   * a week boundary, or more by changing zones between claims.) The fullest window touching the
   * seat is found by ShiftClaimsRepository.fullestWeekAround. The seat counts from `heldFrom`:
   * a seat taken after the start counts only the time that remains.
   */
  private async checkWeeklyHours(
    em: EntityManager,
    agentId: string,
    heldFrom: Date,
    endsAt: Date,
  ): Promise<void> {
    const cap = this.config.get('WEEKLY_HOURS_CAP', { infer: true });
    const worst = await this.claims.fullestWeekAround(em, agentId, heldFrom, endsAt);
    const round = (h: number) => Math.round(h * 1000) / 1000;
    const weekHours = round(worst.held);
    const shiftHours = round(worst.seat);
    if (weekHours + shiftHours > cap + 1e-9) {
      throw new DomainError(
        'WEEKLY_HOURS_EXCEEDED',
        `This seat would put ${round(weekHours + shiftHours)} seat hours in the 168 hours from ` +
          `${worst.window_start.toISOString()}; the cap is ${cap} in any 168 hours`,
        { capHours: cap, weekHours, shiftHours, windowStart: worst.window_start },
      );
    }
  }
}
