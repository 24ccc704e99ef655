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
 * agent row lock (hours in any 168 hours counted without a race) and the exclusion constraint
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
    await this.checkWeeklyHours(em, shift, agentId);

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

  /**
   * No 168-hour window, wherever it starts, may hold more seat hours than WEEKLY_HOURS_CAP, this
   * seat included. (A calendar week in the agent's zone let an agent hold twice the cap across
   * a week boundary, or more by changing zones between claims.) The seat hours in a window are
   * piecewise linear in its start, so the fullest window starts at a breakpoint: a seat's start or
   * end, or 168 hours before one. Only windows touching the new seat can newly break the cap.
   */
  private async checkWeeklyHours(
    em: EntityManager,
    shift: ShiftWithSkills,
    agentId: string,
  ): Promise<void> {
    const cap = this.config.get('WEEKLY_HOURS_CAP', { infer: true });
    const [worst]: { window_start: Date; held: number; seat: number }[] = await em.query(
      `WITH held AS (
         SELECT lower(period) AS s, upper(period) AS e FROM shift_claims
          WHERE agent_id = $1 AND status IN ('claimed', 'checked_in', 'completed')
            AND period && tstzrange($2::timestamptz - interval '168 hours',
                                    $3::timestamptz + interval '168 hours')),
       seats AS (SELECT s, e FROM held UNION ALL SELECT $2::timestamptz, $3::timestamptz),
       starts AS (
         SELECT DISTINCT t FROM seats,
                LATERAL (VALUES (s), (e), (s - interval '168 hours'), (e - interval '168 hours')) v(t)
          WHERE t >= $2::timestamptz - interval '168 hours' AND t <= $3::timestamptz)
       SELECT * FROM (
       SELECT w.t AS window_start,
              -- (least/greatest skip NULLs: a window with no held seat must not count itself)
              coalesce(sum(extract(epoch FROM least(h.e, w.t + interval '168 hours')
                                            - greatest(h.s, w.t))) FILTER (WHERE h.s IS NOT NULL),
                       0)::float8 / 3600 AS held,
              extract(epoch FROM least($3::timestamptz, w.t + interval '168 hours')
                               - greatest($2::timestamptz, w.t))::float8 / 3600 AS seat
         FROM starts w
         LEFT JOIN held h ON h.s < w.t + interval '168 hours' AND h.e > w.t
        GROUP BY w.t) scored
        ORDER BY held + seat DESC, window_start LIMIT 1`,
      [agentId, shift.startsAt, shift.endsAt],
    );
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
