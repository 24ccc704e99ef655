import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EntityManager } from 'typeorm';
import { changedRows } from '../../database/sql';
import { DomainError } from '../../common/errors/domain-error';
import { Env } from '../../config/env.validation';
import { OutboxService } from '../outbox/outbox.service';
import { ShiftWithSkills } from './shift-views';

export type SeatSource = 'direct' | 'waitlist';

/**
 * Takes one seat for one agent inside the caller's transaction. Lock order is always the shift
 * row, then the agent row, so claims, cancellations and promotions cannot deadlock.
 * Guarantees come from the database: the conditional seat update (never past `seats`), the
 * agent row lock (weekly hours counted without a race) and the exclusion constraint
 * ex_shift_claims_agent_overlap (never two overlapping seats; it surfaces as SHIFT_OVERLAP).
 */
@Injectable()
export class SeatAllocator {
  constructor(
    private readonly config: ConfigService<Env, true>,
    private readonly outbox: OutboxService,
  ) {}

  async allocate(
    em: EntityManager,
    shift: ShiftWithSkills,
    agentId: string,
    timeZone: string,
    source: SeatSource,
  ): Promise<string> {
    // Direct claims close at the start; the waitlist may still fill a seat a no-show freed.
    const openUntil = source === 'direct' ? 'starts_at' : 'ends_at';
    const taken = await changedRows(
      em,
      `UPDATE shifts SET seats_taken = seats_taken + 1, updated_at = now()
        WHERE id = $1 AND status = 'scheduled' AND ${openUntil} > now() AND seats_taken < seats
        RETURNING id`,
      [shift.id],
    );
    if (taken.length === 0) throw await this.whyNoSeat(em, shift.id, openUntil);

    const [agent]: { suspended: boolean }[] = await em.query(
      'SELECT suspended_at IS NOT NULL AS suspended FROM agents WHERE user_id = $1 FOR NO KEY UPDATE',
      [agentId],
    );
    // Eligibility was read before this lock; a suspension committed since then still counts.
    if (agent.suspended) {
      throw new DomainError('NOT_ELIGIBLE', 'You are not eligible for this shift', {
        reasons: [{ code: 'SUSPENDED' }],
      });
    }
    await this.checkWeeklyHours(em, shift, agentId, timeZone);

    const [claim]: { id: string; check_in_deadline: Date }[] = await em.query(
      `INSERT INTO shift_claims (shift_id, agent_id, company_id, period, source, check_in_deadline)
       VALUES ($1, $2, $3, tstzrange($4, $5, '[)'), $6,
               greatest($4::timestamptz, now()) + make_interval(mins => $7))
       RETURNING id, check_in_deadline`,
      [
        shift.id,
        agentId,
        shift.companyId,
        shift.startsAt,
        shift.endsAt,
        source,
        shift.checkInGraceMinutes,
      ],
    );
    await this.outbox.enqueue(
      em,
      'shift-claim.no-show-check',
      { claimId: claim.id },
      { runAt: claim.check_in_deadline },
    );
    return claim.id;
  }

  private async whyNoSeat(em: EntityManager, shiftId: string, openUntil: string) {
    const [s]: { open: boolean; full: boolean }[] = await em.query(
      `SELECT status = 'scheduled' AND ${openUntil} > now() AS open, seats_taken >= seats AS full
         FROM shifts WHERE id = $1`,
      [shiftId],
    );
    if (!s.open) return new DomainError('SHIFT_CLOSED', 'The shift is no longer open for claims');
    return new DomainError('SHIFT_FULL', 'Every seat on this shift is taken');
  }

  /** Hours in the shift's calendar week (agent's zone) including this shift, against the cap. */
  private async checkWeeklyHours(
    em: EntityManager,
    shift: ShiftWithSkills,
    agentId: string,
    timeZone: string,
  ): Promise<void> {
    const cap = this.config.get('WEEKLY_HOURS_CAP', { infer: true });
    const [row]: { hours: string }[] = await em.query(
      `WITH week AS (
         SELECT date_trunc('week', $2::timestamptz AT TIME ZONE $3) AS local_start
       )
       SELECT coalesce(sum(extract(epoch FROM upper(c.period) - lower(c.period))), 0) / 3600.0 AS hours
         FROM shift_claims c, week
        WHERE c.agent_id = $1 AND c.status IN ('claimed', 'checked_in', 'completed')
          AND lower(c.period) >= week.local_start AT TIME ZONE $3
          AND lower(c.period) < (week.local_start + interval '7 days') AT TIME ZONE $3`,
      [agentId, shift.startsAt, timeZone],
    );
    const shiftHours = (shift.endsAt.getTime() - shift.startsAt.getTime()) / 3_600_000;
    const weekHours = Number(row.hours);
    if (weekHours + shiftHours > cap + 1e-9) {
      throw new DomainError(
        'WEEKLY_HOURS_EXCEEDED',
        `This seat would put you at ${weekHours + shiftHours} hours that week; the cap is ${cap}`,
        { capHours: cap, weekHours, shiftHours },
      );
    }
  }
}
