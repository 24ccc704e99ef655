import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { changedRows } from '../../database/sql';
import { DomainError } from '../../common/errors/domain-error';
import { decodeCursor, Page, toPage } from '../../common/pagination/page';
import { Env } from '../../config/env.validation';
import { ineligibilityReasons } from './eligibility';
import { SeatAllocator } from './seat-allocator.service';
import { MyClaimsQueryDto, ReliabilityDto, ShiftClaimDto } from './shift.dto';
import { RELIABILITY_WINDOW_DAYS } from './shift-rules';
import { OutboxService } from '../outbox/outbox.service';
import { releaseTicketsLater } from './shift-end';
import { ShiftWaitlistService } from './shift-waitlist.service';
import {
  CLAIM_VIEW_SQL,
  loadClaim,
  loadQualifications,
  loadShift,
  toClaimDto,
} from './shift-views';

/** An agent's seats: take one, give it back, check in and out, and their record. */
@Injectable()
export class ShiftClaimsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: ConfigService<Env, true>,
    private readonly seats: SeatAllocator,
    private readonly waitlist: ShiftWaitlistService,
    private readonly outbox: OutboxService,
  ) {}

  async claim(actor: Actor, shiftId: string): Promise<ShiftClaimDto> {
    const { userId } = requireUser(actor, 'agent');
    // The losers of a race for the last seats answer at once instead of queueing one by one
    // behind the shift lock (200 at once waited past the pool's connect timeout): a full shift
    // is full when read, and only a cancellation can change that, which a retry will see.
    const [seen]: { full: boolean }[] = await this.db.query(
      `SELECT seats_taken >= seats AS full FROM shifts WHERE id = $1 AND status = 'scheduled'`,
      [shiftId],
    );
    if (seen?.full) {
      if (await this.activeClaimId(this.db.manager, shiftId, userId)) {
        throw new DomainError('ALREADY_CLAIMED', 'You already hold a seat on this shift');
      }
      throw new DomainError('SHIFT_FULL', 'Every seat on this shift is taken');
    }
    return this.db.transaction(async (em) => {
      // Locked first (the lock order everywhere), so the window and requirements checked here
      // are the ones the seat is taken under, even if the company edits the shift meanwhile.
      const shift = await loadShift(em, shiftId, true);
      if (shift.status !== 'scheduled' || shift.startsAt.getTime() <= Date.now()) {
        throw new DomainError('SHIFT_CLOSED', 'The shift has started, ended or been cancelled');
      }
      const quals = await loadQualifications(em, userId, shift.companyId);
      const reasons = ineligibilityReasons(quals, shift);
      if (reasons.length > 0) {
        throw new DomainError('NOT_ELIGIBLE', 'You are not eligible for this shift', { reasons });
      }
      if (await this.activeClaimId(em, shiftId, userId)) {
        throw new DomainError('ALREADY_CLAIMED', 'You already hold a seat on this shift');
      }
      const claimId = await this.seats.allocate(em, shift, userId, 'direct');
      await em.query('DELETE FROM shift_waitlist WHERE shift_id = $1 AND agent_id = $2', [
        shiftId,
        userId,
      ]);
      return loadClaim(em, claimId);
    });
  }

  /**
   * Gives the seat back. Inside the late window (LATE_CANCEL_WINDOW_MINUTES before the start)
   * it counts as a late cancellation. The freed seat goes to the waitlist.
   */
  async cancel(actor: Actor, shiftId: string): Promise<ShiftClaimDto> {
    const { userId } = requireUser(actor, 'agent');
    const lateMinutes = this.config.get('LATE_CANCEL_WINDOW_MINUTES', { infer: true });
    return this.db.transaction(async (em) => {
      await loadShift(em, shiftId, true); // shift row first: the lock order everywhere
      const claimId = await this.activeClaimId(em, shiftId, userId);
      if (!claimId) throw new DomainError('NOT_FOUND', 'You hold no seat on this shift');
      const [claim]: { status: string; missed: boolean }[] = await em.query(
        'SELECT status, check_in_deadline <= now() AS missed FROM shift_claims WHERE id = $1',
        [claimId],
      );
      if (claim.status === 'checked_in') {
        throw new DomainError(
          'CLAIM_STATE_CONFLICT',
          'You are checked in: check out instead of cancelling',
          { status: 'checked_in' },
        );
      }
      // Past the check-in deadline the seat is a no-show; cancelling cannot rewrite that.
      if (claim.missed) {
        throw new DomainError('CLAIM_STATE_CONFLICT', 'The check-in deadline has passed', {
          status: 'no_show',
        });
      }
      await em.query(
        `UPDATE shift_claims c
            SET status = 'cancelled', cancelled_at = now(), cancelled_by = 'agent',
                late_cancellation = now() > lower(c.period) - make_interval(mins => $2)
          WHERE c.id = $1`,
        [claimId, lateMinutes],
      );
      await em.query('UPDATE shifts SET seats_taken = seats_taken - 1 WHERE id = $1', [shiftId]);
      await this.waitlist.promote(em, shiftId);
      return loadClaim(em, claimId);
    });
  }

  /**
   * From CHECK_IN_OPENS_MINUTES before the start until the end, and not after the seat's
   * check-in deadline (then it is a no-show). Checking in twice is harmless.
   */
  async checkIn(actor: Actor, shiftId: string): Promise<ShiftClaimDto> {
    const { userId } = requireUser(actor, 'agent');
    const opensMinutes = this.config.get('CHECK_IN_OPENS_MINUTES', { infer: true });
    return this.db.transaction(async (em) => {
      // A share lock on the shift: check-ins proceed together, but not through the middle of
      // the shift's completion (which takes the row exclusively).
      const [shift]: { status: string; opens_at: Date; ends_at: Date; open: boolean }[] =
        await em.query(
          `SELECT status, starts_at - make_interval(mins => $2) AS opens_at, ends_at,
                  now() >= starts_at - make_interval(mins => $2) AND now() < ends_at AS open
             FROM shifts WHERE id = $1 FOR SHARE`,
          [shiftId, opensMinutes],
        );
      if (!shift) throw DomainError.notFound('Shift');
      const claim = await this.latestClaim(em, shiftId, userId);
      if (claim.status === 'checked_in') return loadClaim(em, claim.id);
      if (claim.status !== 'claimed') throw stateConflict(claim.status, 'check in');
      if (shift.status !== 'scheduled') {
        throw new DomainError('SHIFT_CLOSED', 'The shift is cancelled or completed');
      }
      if (!shift.open) {
        throw new DomainError('CHECK_IN_NOT_OPEN', 'Check-in is not open for this shift', {
          opensAt: shift.opens_at,
          closesAt: shift.ends_at,
        });
      }
      const updated = await changedRows(
        em,
        `UPDATE shift_claims SET status = 'checked_in', checked_in_at = now()
          WHERE id = $1 AND status = 'claimed' AND check_in_deadline > now() RETURNING id`,
        [claim.id],
      );
      if (updated.length === 0) {
        throw new DomainError('CHECK_IN_NOT_OPEN', 'The check-in deadline has passed', {
          checkInDeadline: claim.check_in_deadline,
        });
      }
      return loadClaim(em, claim.id);
    });
  }

  async checkOut(actor: Actor, shiftId: string): Promise<ShiftClaimDto> {
    const { userId } = requireUser(actor, 'agent');
    return this.db.transaction(async (em) => {
      const claim = await this.latestClaim(em, shiftId, userId);
      const updated = await changedRows(
        em,
        `UPDATE shift_claims SET status = 'completed', checked_out_at = now(), completed_at = now()
          WHERE id = $1 AND status = 'checked_in' RETURNING id`,
        [claim.id],
      );
      if (updated.length === 0) throw stateConflict(claim.status, 'check out');
      await releaseTicketsLater(em, this.outbox, this.config, shiftId, userId);
      return loadClaim(em, claim.id);
    });
  }

  /** The agent's claims, newest shift first; waitlist promotions show with source "waitlist". */
  async listMine(actor: Actor, query: MyClaimsQueryDto): Promise<Page<ShiftClaimDto>> {
    const { userId } = requireUser(actor, 'agent');
    const cursor = decodeCursor(query.cursor, ['instant', 'uuid']);
    const rows = await this.db.query(
      `${CLAIM_VIEW_SQL}
        WHERE c.agent_id = $1 AND ($2::text IS NULL OR c.status = $2)
          AND ($3::timestamptz IS NULL OR (s.starts_at, c.id) < ($3::timestamptz, $4::uuid))
        ORDER BY s.starts_at DESC, c.id DESC LIMIT $5`,
      [userId, query.status ?? null, cursor?.[0] ?? null, cursor?.[1] ?? null, query.limit + 1],
    );
    return toPage(rows, query.limit, toClaimDto, (r: { starts_at: Date; id: string }) => [
      r.starts_at.toISOString(),
      r.id,
    ]);
  }

  async reliability(actor: Actor): Promise<ReliabilityDto> {
    const { userId } = requireUser(actor, 'agent');
    const [r]: { completed: number; late: number; early: number; no_shows: number }[] =
      await this.db.query(
        `SELECT count(*) FILTER (WHERE status = 'completed' AND completed_at > since)::int AS completed,
                count(*) FILTER (WHERE status = 'cancelled' AND cancelled_by = 'agent'
                                   AND late_cancellation AND cancelled_at > since)::int AS late,
                count(*) FILTER (WHERE status = 'cancelled' AND cancelled_by = 'agent'
                                   AND NOT late_cancellation AND cancelled_at > since)::int AS early,
                count(*) FILTER (WHERE status = 'no_show' AND no_show_at > since)::int AS no_shows
           FROM shift_claims, (SELECT now() - make_interval(days => $2) AS since) w
          WHERE agent_id = $1`,
        [userId, RELIABILITY_WINDOW_DAYS],
      );
    const judged = r.completed + r.late + r.no_shows;
    return {
      windowDays: RELIABILITY_WINDOW_DAYS,
      completed: r.completed,
      lateCancellations: r.late,
      cancellations: r.early,
      noShows: r.no_shows,
      score: judged === 0 ? null : Math.round((r.completed / judged) * 1000) / 1000,
    };
  }

  private async activeClaimId(em: EntityManager, shiftId: string, agentId: string) {
    const [row]: { id: string }[] = await em.query(
      `SELECT id FROM shift_claims WHERE shift_id = $1 AND agent_id = $2
          AND status IN ('claimed', 'checked_in')`,
      [shiftId, agentId],
    );
    return row?.id ?? null;
  }

  private async latestClaim(em: EntityManager, shiftId: string, agentId: string) {
    const [row]: { id: string; status: string; check_in_deadline: Date }[] = await em.query(
      `SELECT id, status, check_in_deadline FROM shift_claims WHERE shift_id = $1 AND agent_id = $2
        ORDER BY claimed_at DESC LIMIT 1`,
      [shiftId, agentId],
    );
    if (!row) throw new DomainError('NOT_FOUND', 'You hold no seat on this shift');
    return row;
  }
}

function stateConflict(status: string, action: string): DomainError {
  return new DomainError('CLAIM_STATE_CONFLICT', `Cannot ${action}: the seat is ${status}`, {
    status,
  });
}
