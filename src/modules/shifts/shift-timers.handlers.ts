import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { changedRows } from '../../database/sql';
import { ConfigService } from '@nestjs/config';
import { Env } from '../../config/env.validation';
import { HandlesJob, JobHandler } from '../jobs/job-handler';
import { OutboxService } from '../outbox/outbox.service';
import { JobPayloads } from '../jobs/job-registry';
import { releaseTicketsLater } from './shift-end';
import { ShiftWaitlistService } from './shift-waitlist.service';

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
  ) {}

  async handle({
    claimId,
  }: JobPayloads['shift-claim.no-show-check']): Promise<{ noShow: boolean }> {
    return this.db.transaction(async (em) => {
      const [claim]: { shift_id: string }[] = await em.query(
        'SELECT shift_id FROM shift_claims WHERE id = $1',
        [claimId],
      );
      if (!claim) return { noShow: false };
      await em.query('SELECT 1 FROM shifts WHERE id = $1 FOR UPDATE', [claim.shift_id]);
      const [state]: { status: string; due: boolean; deadline: Date }[] = await em.query(
        `SELECT status, check_in_deadline <= now() AS due, check_in_deadline AS deadline
           FROM shift_claims WHERE id = $1`,
        [claimId],
      );
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
      await em.query(
        `UPDATE shift_claims SET status = 'no_show', no_show_at = now() WHERE id = $1`,
        [claimId],
      );
      await em.query('UPDATE shifts SET seats_taken = seats_taken - 1 WHERE id = $1', [
        claim.shift_id,
      ]);
      const promoted = await this.waitlist.promote(em, claim.shift_id);
      this.logger.log({ claimId, shiftId: claim.shift_id, promoted }, 'no-show recorded');
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
  ) {}

  async handle({ shiftId }: JobPayloads['shift.complete']): Promise<{ completed: boolean }> {
    return this.db.transaction(async (em) => {
      const [shift]: { due: boolean; ends_at: Date }[] = await em.query(
        `SELECT ends_at <= now() AS due, ends_at FROM shifts
          WHERE id = $1 AND status = 'scheduled' FOR UPDATE`,
        [shiftId],
      );
      if (!shift) return { completed: false };
      if (!shift.due) {
        // Early, or the end moved later: make sure a timer exists for the end as it is now.
        await this.outbox.enqueue(em, 'shift.complete', { shiftId }, { runAt: shift.ends_at });
        return { completed: false };
      }
      await em.query(
        `UPDATE shift_claims c SET status = 'completed', completed_at = now(),
                checked_out_at = coalesce(c.checked_out_at, upper(c.period))
          WHERE c.shift_id = $1 AND c.status = 'checked_in'`,
        [shiftId],
      );
      const noShows = await changedRows(
        em,
        `UPDATE shift_claims SET status = 'no_show', no_show_at = now()
          WHERE shift_id = $1 AND status = 'claimed' RETURNING id`,
        [shiftId],
      );
      await em.query('DELETE FROM shift_waitlist WHERE shift_id = $1', [shiftId]);
      await em.query(
        `UPDATE shifts SET status = 'completed', completed_at = now(), updated_at = now(),
                seats_taken = seats_taken - $2
          WHERE id = $1`,
        [shiftId, noShows.length],
      );
      await releaseTicketsLater(em, this.outbox, this.config, shiftId, null);
      return { completed: true };
    });
  }
}
