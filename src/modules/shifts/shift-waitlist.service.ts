import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { domainErrorForConstraint } from '../../common/errors/constraint-errors';
import { DomainError } from '../../common/errors/domain-error';
import { Env } from '../../config/env.validation';
import { AgentsService } from '../agents/agents.service';
import { EventsService } from '../events/events.service';
import { SeatAllocator } from './seat-allocator.service';
import { alreadyClaimed, claimsClosed, claimsCloseAt, lineClosesAt } from './seat-window';
import { WaitlistPositionDto } from './shift-claim.dto';
import { ShiftWithSkills } from './shift.rows';
import { givenLate, MAX_WAITLIST } from './shift-rules';
import { ShiftClaimsRepository } from './shift-claims.repository';
import { ShiftWaitlistRepository } from './shift-waitlist.repository';
import { ShiftsRepository } from './shifts.repository';
import { ShiftEligibility } from './shift-eligibility.service';
import { databaseNow } from '../../database/sql';

// Failures that disqualify one waitlisted agent for now without stopping the promotion.
const SKIPPABLE = new Set(['SHIFT_OVERLAP', 'WEEKLY_HOURS_EXCEEDED']);

@Injectable()
export class ShiftWaitlistService {
  private readonly logger = new Logger(ShiftWaitlistService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: ConfigService<Env, true>,
    private readonly seats: SeatAllocator,
    private readonly shifts: ShiftsRepository,
    private readonly claims: ShiftClaimsRepository,
    private readonly entries: ShiftWaitlistRepository,
    private readonly agents: AgentsService,
    private readonly eligibility: ShiftEligibility,
    private readonly events: EventsService,
  ) {}

  /** Joins a full shift's waitlist; the agent must be eligible now. */
  async join(actor: Actor, shiftId: string): Promise<WaitlistPositionDto> {
    const { userId } = requireUser(actor, 'agent');
    return this.db.transaction(async (em) => {
      const shift = await this.shifts.oneWithSkills(em, shiftId, true);
      // By the database's clock, which a direct claim (takeSeat) and the promotion read.
      const now = await databaseNow(em);
      if (shift.status !== 'scheduled' || shift.endsAt.getTime() <= now) {
        throw new DomainError('SHIFT_CLOSED', 'The shift is no longer open');
      }
      // A place no seat could be given to in time (promote would pass it over) is not taken.
      const lineCloses = this.lineClosesAt(shift);
      if (lineCloses.getTime() <= now) {
        throw new DomainError(
          'SHIFT_CLOSED',
          'The waitlist has closed: a seat given now could not be checked into in time',
          { lineClosedAt: lineCloses },
        );
      }
      // The agent's lock (after the shift's, the order everywhere), before eligibility is read:
      // a certification revoked meanwhile either commits first (and is seen here) or waits for
      // this join and then removes the place it made. Unlocked, the revocation's removal ran
      // before the place was committed, and an uncertified agent stayed in line.
      await this.agents.lock(em, userId);
      // A seat held answers first, as a claim does.
      if (await this.claims.seatTakenId(em, shiftId, userId)) throw alreadyClaimed();
      await this.eligibility.assertEligible(em, userId, shift, now);
      if (shift.seatsTaken < shift.seats) {
        // A free seat on a started shift whose claims have closed cannot be claimed directly.
        const closesAt = claimsCloseAt(
          shift,
          this.config.get('SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END', { infer: true }),
        );
        if (closesAt.getTime() <= now) throw claimsClosed(closesAt);
        throw new DomainError('SEATS_AVAILABLE', 'Seats are available: claim one directly');
      }
      if ((await this.entries.count(em, shiftId)) >= MAX_WAITLIST) {
        throw new DomainError('WAITLIST_FULL', `The waitlist is full (${MAX_WAITLIST} agents)`);
      }
      await this.entries.add(em, shiftId, userId);
      const row = await this.entries.position(em, shiftId, userId);
      return { shiftId, position: row.position, joinedAt: row.joined_at, closesAt: lineCloses };
    });
  }

  async leave(actor: Actor, shiftId: string): Promise<void> {
    const { userId } = requireUser(actor, 'agent');
    // A transaction of one statement: a keyed retry after its lost answer is told ANSWER_LOST
    // (KeyedCommits follows transactions), not 404 for the entry it removed itself.
    const removed = await this.db.transaction((em) => this.entries.remove(em, shiftId, userId));
    if (removed === 0) throw DomainError.notFound('Waitlist entry');
  }

  /**
   * Gives free seats to waitlisted agents in order of joining, skipping (but keeping) those who
   * are not eligible right now. Runs in the transaction that freed the seat, which already holds
   * the shift row lock; each attempt runs in a savepoint so one agent's overlap or hours cap
   * does not abort the rest. `among`: only these, in line order (those ahead of a claimant).
   */
  async promote(em: EntityManager, shiftId: string, among?: string[]): Promise<string[]> {
    const shift = await this.shifts.oneWithSkills(em, shiftId, true);
    // A seat nobody could reach before the end (start + grace) is not worth giving. Before the
    // start it always is (its deadline is then at most the end): a grace longer than what is
    // left of the shift passed the line over, and a direct claim took the seat instead. Nor is
    // the line passed over while direct claims are open (until SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END
    // before the end): a seat given then is reachable (its deadline is at most the end), and a
    // direct claimer would otherwise take it ahead of everyone in line.
    const now = await databaseNow(em);
    if (shift.status !== 'scheduled' || this.lineClosesAt(shift).getTime() <= now) return [];
    const waiting = among ?? (await this.entries.waiting(em, shiftId));
    if (waiting.length === 0 || shift.seatsTaken >= shift.seats) return [];
    // Only those whose profile the shift accepts (one read for the whole line): a line of
    // agents who cannot take it cost a savepoint and four reads each, under the shift's lock,
    // on every seat freed and every direct claim. Read before their locks: a profile edit
    // committing meanwhile that makes an agent eligible is not seen by this pass (the next one
    // sees it); one that makes it ineligible is, by the check under its lock.
    const candidates = await this.eligibility.qualifiedAmong(em, waiting, shift);
    if (candidates.length === 0) return [];
    // Lock every candidate up front in id order: two promotions on different shifts whose
    // waitlists share agents in different orders would otherwise deadlock.
    await this.agents.lockMany(em, candidates);
    const promoted: string[] = [];
    let free = shift.seats - shift.seatsTaken;
    for (const agentId of candidates) {
      if (free <= 0) break;
      if (await this.tryPromote(em, shift, agentId, now)) {
        promoted.push(agentId);
        free -= 1;
      }
    }
    return promoted;
  }

  /**
   * Before a direct claim takes a seat (in its transaction, under the shift's lock): the free
   * seats go to those in line ahead of the claimant first, as a check-out's promotion would
   * have given them. A seat a suspension or a revocation freed waits for a job that runs after
   * that commits, and a claim meanwhile took it ahead of the whole line. When any of them could
   * take it, the claimant's lock is taken with theirs, in id order, as a promotion takes them.
   * How many seats it gave.
   */
  async serveAheadOf(
    em: EntityManager,
    shift: ShiftWithSkills,
    claimantId: string,
  ): Promise<number> {
    if (shift.seatsTaken >= shift.seats) return 0; // nothing free, nothing to give
    const waiting = await this.entries.waiting(em, shift.id);
    const at = waiting.indexOf(claimantId);
    const ahead = at === -1 ? waiting : waiting.slice(0, at);
    const candidates = await this.eligibility.qualifiedAmong(em, ahead, shift);
    if (candidates.length === 0) return 0;
    await this.agents.lockMany(em, [...candidates, claimantId]);
    return (await this.promote(em, shift.id, candidates)).length;
  }

  private lineClosesAt(shift: ShiftWithSkills): Date {
    return lineClosesAt(
      shift,
      this.config.get('SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END', { infer: true }),
    );
  }

  private async tryPromote(
    em: EntityManager,
    shift: ShiftWithSkills,
    agentId: string,
    now: number,
  ) {
    // One seat per agent and shift: one who has worked a seat here (in line from before that
    // rule) leaves the line instead of taking a second.
    if (await this.claims.seatTakenId(em, shift.id, agentId)) {
      await this.entries.remove(em, shift.id, agentId);
      return false;
    }
    if ((await this.eligibility.reasonsFor(em, agentId, shift, now)).length > 0) return false;
    await em.query('SAVEPOINT waitlist_promotion');
    try {
      // Out of line first: an agent who left since the waitlist was read (leaving takes no
      // lock this promotion holds) is not given a seat it gave up. A leave still committing
      // holds the row: this waits for it, then finds nothing.
      if ((await this.entries.remove(em, shift.id, agentId)) === 0) {
        await em.query('ROLLBACK TO SAVEPOINT waitlist_promotion');
        return false;
      }
      const claimId = await this.seats.allocate(em, shift, agentId, 'waitlist');
      await em.query('RELEASE SAVEPOINT waitlist_promotion');
      // The agent did not pick this moment: told at once (the console shows it live), with
      // the deadline to check in by, or to give the seat back (a clean cancel: see
      // markCancelledByAgent).
      const seat = await this.claims.deadlineOf(em, claimId);
      const lateMinutes = this.config.get('LATE_CANCEL_WINDOW_MINUTES', { infer: true });
      // Given now by the database's clock (this transaction's `now()`, the seat's claimed_at),
      // held from now or from the start (SeatAllocator): the seat's view says the same.
      const givenAt = new Date(now);
      const heldFrom = givenAt > shift.startsAt ? givenAt : shift.startsAt;
      await this.events.record(em, {
        type: 'shift.seat_given',
        agentId,
        data: {
          shiftId: shift.id,
          claimId,
          title: shift.title,
          startsAt: shift.startsAt,
          endsAt: shift.endsAt,
          checkInDeadline: seat,
          givenLate: givenLate({ source: 'waitlist', claimedAt: givenAt, heldFrom }, lateMinutes),
        },
      });
    } catch (e) {
      const known = e instanceof DomainError ? e : domainErrorForConstraint(e);
      if (!known || !SKIPPABLE.has(known.code)) throw e;
      await em.query('ROLLBACK TO SAVEPOINT waitlist_promotion');
      this.logger.debug({ shiftId: shift.id, agentId, reason: known.code }, 'waitlist skip');
      return false;
    }
    return true;
  }
}
