import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { domainErrorForConstraint } from '../../common/errors/constraint-errors';
import { DomainError } from '../../common/errors/domain-error';
import { decodeCursor, Page, toPage } from '../../common/pagination/page';
import { Env } from '../../config/env.validation';
import { databaseNow } from '../../database/sql';
import { AgentsService } from '../agents/agents.service';
import { CompaniesService } from '../companies/companies.service';
import { OutboxService } from '../outbox/outbox.service';
import { SeatAllocator } from './seat-allocator.service';
import { ClaimSeatDto } from './claim-seat.dto';
import {
  alreadyClaimed,
  assertAsSeen,
  checkOutCompletesAt,
  claimsClosed,
  claimsCloseAt,
} from './seat-window';
import { MyClaimsQueryDto, ReliabilityDto, ShiftClaimDto } from './shift-claim.dto';
import { SeatWindows, toShiftClaimDto } from './shift.mapper';
import { ShiftClaimViewsRepository } from './shift-claim-views.repository';
import { ShiftClaimsRepository } from './shift-claims.repository';
import { releaseTicketsLater } from './shift-end';
import { RELIABILITY_PRIOR_WEIGHT, RELIABILITY_WINDOW_DAYS } from './shift-rules';
import { ShiftWaitlistRepository } from './shift-waitlist.repository';
import { ShiftWaitlistService } from './shift-waitlist.service';
import { ShiftSeatsRepository } from './shift-seats.repository';
import { ShiftsRepository } from './shifts.repository';
import { ShiftEligibility } from './shift-eligibility.service';
import { PayPerHour } from './pay-per-hour.service';

/** An agent's seats: take one, give it back, check in and out, and their record. */
@Injectable()
export class ShiftClaimsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: ConfigService<Env, true>,
    private readonly seats: SeatAllocator,
    private readonly waitlist: ShiftWaitlistService,
    private readonly outbox: OutboxService,
    private readonly shifts: ShiftsRepository,
    private readonly shiftSeats: ShiftSeatsRepository,
    private readonly claims: ShiftClaimsRepository,
    private readonly views: ShiftClaimViewsRepository,
    private readonly waitlistEntries: ShiftWaitlistRepository,
    private readonly eligibility: ShiftEligibility,
    private readonly pay: PayPerHour,
    private readonly companies: CompaniesService,
    private readonly agents: AgentsService,
  ) {}

  async claim(actor: Actor, shiftId: string, shown: ClaimSeatDto = {}): Promise<ShiftClaimDto> {
    const { userId } = requireUser(actor, 'agent');
    // The losers of a race for the last seats answer at once instead of queueing one by one
    // behind the shift lock (200 at once waited past the pool's connect timeout): a full shift
    // is full when read, and only a cancellation can change that, which a retry will see.
    const seen = await this.shiftSeats.fullness(this.db.manager, shiftId, this.closeMinutes());
    if (seen?.full) {
      if (await this.claims.seatTakenId(this.db.manager, shiftId, userId)) {
        throw alreadyClaimed();
      }
      // Closed says more than full: no seat freed later can be claimed (the waitlist's can).
      if (seen.closed_at) throw claimsClosed(seen.closed_at);
      // So does not eligible: a seat freed later would refuse the agent too, and the waitlist
      // does (a few reads, for the losers only, under no lock).
      const shift = await this.shifts.oneWithSkills(this.db.manager, shiftId);
      const now = await databaseNow(this.db.manager);
      await this.eligibility.assertEligible(this.db.manager, userId, shift, now);
      throw shiftFull();
    }
    const taken = await this.db.transaction(async (em) => {
      // Locked first (the lock order everywhere), so the window and requirements checked here
      // are the ones the seat is taken under, even if the company edits the shift meanwhile.
      const shift = await this.shifts.oneWithSkills(em, shiftId, true);
      if (shift.status !== 'scheduled') {
        throw new DomainError('SHIFT_CLOSED', 'The shift has ended or been cancelled');
      }
      assertAsSeen(shift, shown);
      // Open before the start, and after it while enough of the shift remains (seat-window.ts).
      // By the database's clock, which the seat's own write (takeSeat), a waitlist join and a
      // promotion read: an API clock ahead of it refused seats still open, and opened an
      // early-access shift to everyone before its time.
      const now = await databaseNow(em);
      const closesAt = claimsCloseAt(shift, this.closeMinutes());
      if (closesAt.getTime() <= now) throw claimsClosed(closesAt);
      // A seat already held answers first, as on a full shift: a retry is told it has its seat.
      if (await this.claims.seatTakenId(em, shiftId, userId)) throw alreadyClaimed();
      await this.eligibility.assertEligible(em, userId, shift, now);
      // A seat a suspension or a revocation freed waits for the line's job, which runs after
      // that commits: those in line ahead of the claimant get the free seats first.
      const given = await this.waitlist.serveAheadOf(em, shift, userId);
      // The line took every seat: that is committed, and the claim refused after it.
      if (shift.seatsTaken + given >= shift.seats) return { refused: shiftFull() };
      // So is what the claimant's own seat refuses (an overlap, the weekly hours): the line's
      // seats stay given.
      if (given > 0) await em.query('SAVEPOINT direct_claim');
      try {
        const claimId = await this.seats.allocate(em, shift, userId, 'direct');
        await this.waitlistEntries.remove(em, shiftId, userId);
        return { claim: await this.loadClaim(em, claimId) };
      } catch (e) {
        // An overlap is the exclusion constraint's refusal, not a DomainError yet.
        const known = e instanceof DomainError ? e : domainErrorForConstraint(e);
        if (given === 0 || !known || known.code === 'CONFLICT') throw e;
        await em.query('ROLLBACK TO SAVEPOINT direct_claim');
        return { refused: known };
      }
    });
    if ('refused' in taken) throw taken.refused;
    return taken.claim;
  }

  /**
   * Gives the seat back. Inside the late window (LATE_CANCEL_WINDOW_MINUTES before the seat's
   * start: the shift's, or the claim's for a seat taken after it, so always) it counts as a late
   * cancellation. The freed seat goes to the waitlist.
   */
  async cancel(actor: Actor, shiftId: string): Promise<ShiftClaimDto> {
    const { userId } = requireUser(actor, 'agent');
    const lateMinutes = this.config.get('LATE_CANCEL_WINDOW_MINUTES', { infer: true });
    return this.db.transaction(async (em) => {
      await this.shifts.oneWithSkills(em, shiftId, true); // shift row first: the lock order everywhere
      const claimId = await this.claims.activeClaimId(em, shiftId, userId);
      if (!claimId) {
        // Marked a no-show by its job: the answer it got before the job ran (below).
        const latest = await this.claims.latestOf(em, shiftId, userId);
        if (latest?.status === 'no_show') throw checkInMissed();
        throw new DomainError('NOT_FOUND', 'You hold no seat on this shift');
      }
      const claim = await this.claims.cancelState(em, claimId);
      // Checked in early, before the seat's time began: nothing was worked, so leaving is a
      // cancellation (late, by now), which frees the seat for the waitlist.
      if (claim.status === 'checked_in' && claim.started) {
        throw new DomainError(
          'CLAIM_STATE_CONFLICT',
          'You are checked in: check out instead of cancelling',
          { status: 'checked_in' },
        );
      }
      // Past the check-in deadline the seat is a no-show; cancelling cannot rewrite that.
      if (claim.missed) throw checkInMissed();
      await this.claims.markCancelledByAgent(em, claimId, lateMinutes);
      await this.shiftSeats.freeSeat(em, shiftId);
      await this.waitlist.promote(em, shiftId);
      if (claim.status === 'checked_in') {
        // Checked in early on a push shift, whose router runs at its start: a cancel begun just
        // before the start reads the seat not started, while the router (which takes no lock
        // this waits for) offers to the seat that is live a moment later.
        await this.outbox.enqueue(em, 'offers.withdraw', { shiftId, agentId: userId });
      }
      return this.loadClaim(em, claimId);
    });
  }

  /**
   * From CHECK_IN_OPENS_MINUTES before the start until the seat's check-in deadline (then it is
   * a no-show), and never after the shift's end. Checking in twice is harmless.
   */
  async checkIn(actor: Actor, shiftId: string): Promise<ShiftClaimDto> {
    const { userId } = requireUser(actor, 'agent');
    const opensMinutes = this.config.get('CHECK_IN_OPENS_MINUTES', { infer: true });
    const seat = await this.db.transaction(async (em) => {
      // A share lock on the shift: check-ins proceed together, but not through the middle of
      // the shift's completion (which takes the row exclusively).
      const shift = await this.shiftSeats.lockForCheckIn(em, shiftId, opensMinutes);
      if (!shift) throw DomainError.notFound('Shift');
      // The agent's lock (after the shift's, the order everywhere): a break taken or ended
      // meanwhile is seen by the check-in, which carries it onto this seat (markCheckedIn).
      await this.agents.lock(em, userId);
      const claim = await this.latestClaim(em, shiftId, userId);
      if (claim.status === 'checked_in') return this.loadClaim(em, claim.id);
      // The same answer before and after the no-show job has marked it: what an agent is told
      // must not depend on when a timer ran.
      if (claim.status === 'no_show') throw deadlinePassed(claim.check_in_deadline);
      if (claim.status !== 'claimed') throw stateConflict(claim.status, 'check in');
      if (shift.status !== 'scheduled') {
        throw new DomainError('SHIFT_CLOSED', 'The shift is cancelled or completed');
      }
      if (!shift.open) {
        // Closes at the seat's deadline (past it, a no-show), not the shift's end: said so.
        throw new DomainError('CHECK_IN_NOT_OPEN', 'Check-in is not open for this shift', {
          opensAt: shift.opens_at,
          closesAt: claim.check_in_deadline,
        });
      }
      if (!(await this.claims.markCheckedIn(em, claim.id))) {
        throw deadlinePassed(claim.check_in_deadline);
      }
      return this.loadClaim(em, claim.id);
    });
    // On a live push shift the check-in asked for the router (a trigger): wake the relays.
    this.outbox.poke();
    return seat;
  }

  /**
   * Ends the agent's work on the shift: `completed`, or `left_early` while the shift's seats can
   * still be claimed or less than half of the seat's own time has passed (checkOutCompletesAt):
   * checking in and out at once used to count as a seat worked, and kept the seat from everyone
   * else to the end. A seat left early goes back to the
   * shift (the waitlist first) and counts against reliability as a late cancellation does.
   */
  async checkOut(actor: Actor, shiftId: string): Promise<ShiftClaimDto> {
    const { userId } = requireUser(actor, 'agent');
    return this.db.transaction(async (em) => {
      // The shift row first (the lock order everywhere): a seat left early is given back to it.
      const shift = await this.shiftSeats.lockWindow(em, shiftId);
      if (!shift) throw new DomainError('NOT_FOUND', 'You hold no seat on this shift');
      // The agent's lock, which the offer router holds from reading the agent's live seat to
      // making its offer: a router pass either commits its offer before this (and the
      // offers.withdraw job below finds it) or reads the seat checked out (and offers nothing).
      // Taken together with those in the shift's line, in id order, as a promotion takes its
      // waiting agents: a seat left early goes to the line in this transaction (first, before
      // any direct claim), and two agents leaving early, each in the other's line, cannot
      // deadlock. The shift's lock keeps the line as read (joining it locks the shift).
      const waiting = await this.waitlistEntries.waiting(em, shiftId);
      await this.agents.lockMany(em, [userId, ...waiting]);
      const claim = await this.latestClaim(em, shiftId, userId);
      // Before its time began a check-out would count a seat nobody worked as completed, and
      // keep it from the waitlist.
      if (claim.status === 'checked_in' && !claim.started) {
        throw new DomainError(
          'CLAIM_STATE_CONFLICT',
          'The shift has not started: cancel the seat instead of checking out',
          { status: 'checked_in' },
        );
      }
      const ended = await this.claims.markCheckedOut(
        em,
        claim.id,
        checkOutCompletesAt(
          shift,
          { heldFrom: claim.held_from, checkedInAt: claim.checked_in_at },
          this.closeMinutes(),
        ),
      );
      if (!ended) throw stateConflict(claim.status, 'check out');
      if (ended === 'left_early') {
        await this.shiftSeats.freeSeat(em, shiftId);
        // (Only with someone in line: otherwise there is nobody to give it to, and the promotion
        // would read the shift again for nothing.)
        if (waiting.length > 0) await this.waitlist.promote(em, shiftId);
      }
      await releaseTicketsLater(em, this.outbox, this.config, shiftId, userId);
      await this.outbox.enqueue(em, 'offers.withdraw', { shiftId, agentId: userId });
      return this.loadClaim(em, claim.id);
    });
  }

  /** The agent's claims, newest shift first; waitlist promotions show with source "waitlist". */
  async listMine(actor: Actor, query: MyClaimsQueryDto): Promise<Page<ShiftClaimDto>> {
    const { userId } = requireUser(actor, 'agent');
    const cursor = decodeCursor(query.cursor, ['shiftTime', 'uuid']);
    const rows = await this.views.pageOfAgent(
      this.db.manager,
      userId,
      query.status ?? null,
      cursor,
      query.limit + 1,
    );
    const names = await this.companies.namesOf(
      this.db.manager,
      rows.map((r) => r.company_id),
    );
    const pay = await this.pay.ofSeats(this.db.manager, userId, rows);
    return toPage(
      rows,
      query.limit,
      (r) => toShiftClaimDto(r, names.get(r.company_id)!, this.windows(), pay.get(r.id)),
      (r) => [r.cursor_at, r.id],
    );
  }

  async reliability(actor: Actor): Promise<ReliabilityDto> {
    const { userId } = requireUser(actor, 'agent');
    const late = this.config.get('LATE_CANCEL_WINDOW_MINUTES', { infer: true });
    const [r, platform] = await Promise.all([
      this.views.reliabilityCounts(this.db.manager, userId, RELIABILITY_WINDOW_DAYS, late),
      this.views.platformReliability(this.db.manager, RELIABILITY_WINDOW_DAYS, late),
    ]);
    const judged = r.completed + r.late + r.no_shows + r.left_early;
    // A seat worked but with more time away than the shift allowed is not a reliable one.
    const good = r.completed - r.away_over_cap;
    const mean = platform.judged === 0 ? 1 : platform.good / platform.judged;
    const round = (n: number) => Math.round(n * 1000) / 1000;
    return {
      windowDays: RELIABILITY_WINDOW_DAYS,
      completed: r.completed,
      lateCancellations: r.late,
      cancellations: r.early,
      noShows: r.no_shows,
      awayOverCap: r.away_over_cap,
      leftEarly: r.left_early,
      raw: judged === 0 ? null : round(good / judged),
      platformMean: round(mean),
      priorWeight: RELIABILITY_PRIOR_WEIGHT,
      score: round((good + RELIABILITY_PRIOR_WEIGHT * mean) / (judged + RELIABILITY_PRIOR_WEIGHT)),
    };
  }

  private windows(): SeatWindows {
    return {
      checkInOpensMinutes: this.config.get('CHECK_IN_OPENS_MINUTES', { infer: true }),
      lateCancelMinutes: this.config.get('LATE_CANCEL_WINDOW_MINUTES', { infer: true }),
      claimCloseMinutes: this.closeMinutes(),
    };
  }

  private closeMinutes(): number {
    return this.config.get('SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END', { infer: true });
  }

  private async latestClaim(em: EntityManager, shiftId: string, agentId: string) {
    const row = await this.claims.latestOf(em, shiftId, agentId);
    if (!row) throw new DomainError('NOT_FOUND', 'You hold no seat on this shift');
    return row;
  }

  private async loadClaim(em: EntityManager, claimId: string): Promise<ShiftClaimDto> {
    const row = await this.views.view(em, claimId);
    if (!row) throw DomainError.notFound('Shift claim');
    const names = await this.companies.namesOf(em, [row.company_id]);
    const pay = await this.pay.ofSeats(em, row.agent_id, [row]);
    return toShiftClaimDto(row, names.get(row.company_id)!, this.windows(), pay.get(row.id));
  }
}

/** A seat whose check-in deadline passed, to cancel: a no-show, marked or about to be. */
function checkInMissed(): DomainError {
  return new DomainError('CLAIM_STATE_CONFLICT', 'The check-in deadline has passed', {
    status: 'no_show',
  });
}

function deadlinePassed(checkInDeadline: Date): DomainError {
  return new DomainError('CHECK_IN_NOT_OPEN', 'The check-in deadline has passed', {
    checkInDeadline,
  });
}

function stateConflict(status: string, action: string): DomainError {
  return new DomainError('CLAIM_STATE_CONFLICT', `Cannot ${action}: the seat is ${status}`, {
    status,
  });
}

const shiftFull = () => new DomainError('SHIFT_FULL', 'Every seat on this shift is taken');
