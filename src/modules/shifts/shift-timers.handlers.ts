import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ConfigService } from '@nestjs/config';
import { Env } from '../../config/env.validation';
import { HandlesJob, JobHandler } from '../jobs/job-handler';
import { OutboxService } from '../outbox/outbox.service';
import { JobPayloads } from '../jobs/job-registry';
import { ShiftClaimsRepository } from './shift-claims.repository';
import { ShiftClaimEndingsRepository } from './shift-claim-endings.repository';
import { releaseTicketsLater } from './shift-end';
import { ShiftWaitlistRepository } from './shift-waitlist.repository';
import { ShiftWaitlistService } from './shift-waitlist.service';
import { ShiftSeatsRepository } from './shift-seats.repository';
import { ShiftsRepository } from './shifts.repository';

/**
 * At a seat's check-in deadline: still only claimed → no-show, the seat is freed and offered to
 * the waitlist. Idempotent: it acts only on a claim still `claimed` and past its deadline, so a
 * second firing, or a late one after a check-in or cancellation, changes nothing; an early one
 * re-arms itself.
 */
@Injectable()
@JobHandler('shift-claim.no-show-check')
export class NoShowCheckHandler implements HandlesJob<'shift-claim.no-show-check'> {
  private readonly logger = new Logger(NoShowCheckHandler.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly waitlist: ShiftWaitlistService,
    private readonly outbox: OutboxService,
    private readonly shifts: ShiftsRepository,
    private readonly shiftSeats: ShiftSeatsRepository,
    private readonly claims: ShiftClaimsRepository,
  ) {}

  async handle({
    claimId,
  }: JobPayloads['shift-claim.no-show-check']): Promise<{ noShow: boolean }> {
    return this.db.transaction(async (em) => {
      const shiftId = await this.claims.shiftOf(em, claimId);
      if (!shiftId) return { noShow: false };
      // FOR NO KEY UPDATE, as every seat path that then waits for agents (the promotion below
      // locks the line's): an agent holding its own row while its ticket claim or offer takes a
      // key share on its live shift must not wait for us. With FOR UPDATE here, a check-out
      // holding one agent in line and waiting for another, whose ticket claim waited for this
      // shift, closed a deadlock. The missed seat has no offers or tickets to wait for.
      await this.shifts.lockForChange(em, shiftId);
      const state = await this.claims.noShowState(em, claimId);
      if (state.status !== 'claimed') return { noShow: false };
      if (!state.due) {
        // Fired early (the worker's clock runs ahead of the database's): try again on time.
        await this.outbox.enqueue(
          em,
          'shift-claim.no-show-check',
          { claimId },
          { runAt: state.deadline },
        );
        return { noShow: false };
      }
      // Guarded by the status too, not by the shift's lock alone: a seat checked in meanwhile
      // is never marked, nor its seat freed.
      if (!(await this.claims.markNoShow(em, claimId))) return { noShow: false };
      await this.shiftSeats.freeSeat(em, shiftId);
      const promoted = await this.waitlist.promote(em, shiftId);
      this.logger.log({ claimId, shiftId, promoted }, 'no-show recorded');
      return { noShow: true };
    });
  }
}

/**
 * At a shift's end: checked-in seats complete, seats never checked into are no-shows, the
 * waitlist is cleared and the shift is completed. A timer that fires before the end (early, or the
 * end has moved) re-arms itself for the end as it is now.
 */
@Injectable()
@JobHandler('shift.complete')
export class ShiftCompleteHandler implements HandlesJob<'shift.complete'> {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxService,
    private readonly config: ConfigService<Env, true>,
    private readonly shifts: ShiftsRepository,
    private readonly endings: ShiftClaimEndingsRepository,
    private readonly waitlistEntries: ShiftWaitlistRepository,
  ) {}

  async handle({ shiftId }: JobPayloads['shift.complete']): Promise<{ completed: boolean }> {
    return this.db.transaction(async (em) => {
      const shift = await this.shifts.lockIfScheduled(em, shiftId);
      if (!shift) return { completed: false };
      if (!shift.due) {
        // Early, or the end moved later: make sure a timer exists for the end as it is now.
        await this.outbox.enqueue(em, 'shift.complete', { shiftId }, { runAt: shift.ends_at });
        return { completed: false };
      }
      await this.endings.completeCheckedIn(em, shiftId);
      const noShows = await this.endings.markUncheckedNoShows(em, shiftId);
      await this.waitlistEntries.clear(em, shiftId);
      await this.shifts.markCompleted(em, shiftId, noShows);
      await releaseTicketsLater(em, this.outbox, this.config, shiftId, null);
      // An offer made just before the end would hold its ticket till it ran out.
      await this.outbox.enqueue(em, 'offers.withdraw', { shiftId, agentId: null });
      return { completed: true };
    });
  }
}

/**
 * Offers seats freed by a suspension or a revoked certification to the shift's waitlist. Those
 * transactions hold the agent's row, so they cannot lock the line's agents (ADR 0004's order);
 * the job is written in their transaction and runs after it, so a crash between the two no
 * longer leaves the seat open to direct claims ahead of the line. Idempotent: a promotion gives
 * only seats still free to agents still waiting.
 */
@Injectable()
@JobHandler('shift.promote-waitlist')
export class PromoteWaitlistHandler implements HandlesJob<'shift.promote-waitlist'> {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly waitlist: ShiftWaitlistService,
  ) {}

  handle({ shiftId }: JobPayloads['shift.promote-waitlist']): Promise<{ promoted: string[] }> {
    return this.db.transaction(async (em) => ({
      promoted: await this.waitlist.promote(em, shiftId),
    }));
  }
}
