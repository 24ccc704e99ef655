import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { Env } from '../../config/env.validation';
import { DataSource } from 'typeorm';
import { requireCompany } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { EventsService } from '../events/events.service';
import { OutboxService } from '../outbox/outbox.service';
import { CancelShiftDto } from './shift-write.dto';
import { ShiftDto } from './shift.dto';
import { toShiftDto } from './shift.mapper';
import { ShiftClaimEndingsRepository } from './shift-claim-endings.repository';
import { releaseTicketsLater } from './shift-end';
import { ShiftWaitlistRepository } from './shift-waitlist.repository';
import { ShiftsRepository } from './shifts.repository';
import { ShiftsService } from './shifts.service';
import { databaseNow } from '../../database/sql';

/** The company side of shifts: cancel one. */
@Injectable()
export class ShiftCancellationService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxService,
    private readonly config: ConfigService<Env, true>,
    private readonly shifts: ShiftsRepository,
    private readonly endings: ShiftClaimEndingsRepository,
    private readonly waitlistEntries: ShiftWaitlistRepository,
    private readonly reads: ShiftsService,
    private readonly events: EventsService,
  ) {}

  /**
   * Cancels the shift; its seat holders are released without any mark on their record. A shift
   * already running keeps what was worked: its checked-in seats complete now (their time and
   * tickets count as on any completed seat), and a seat whose check-in deadline passed is the
   * no-show it already was. One past its end completes on its own: 409.
   */
  async cancel(actor: Actor, id: string, input: CancelShiftDto): Promise<ShiftDto> {
    const companyId = requireCompany(actor);
    await this.db.transaction(async (em) => {
      // FOR UPDATE, not the seat paths' NO KEY UPDATE: an offer or ticket claim whose row is
      // already written on the shift (its key share) commits first. One that read the agent's
      // seat before this commits but writes its row after waits for this commit, then commits on
      // the cancelled shift, as if it had come first: the releases and the withdrawal queued
      // below read the shift's claims and offers when they run, not now. (An offer committed
      // after the withdrawal ran holds its ticket from other agents until it expires, as
      // `offer.expired` to the agent: its accept is refused, the seat has ended.) Nothing here
      // waits for an agent's row, so nothing deadlocks on it.
      // Only the company's own: another company's request must not hold its lock (answered
      // 404 below, as for a shift that does not exist).
      await this.shifts.lockOwned(em, companyId, id);
      const shift = await this.reads.own(em, companyId, id); // held by the lock above
      if (shift.status !== 'scheduled') {
        throw new DomainError('SHIFT_CLOSED', 'The shift is already cancelled or completed');
      }
      // By the database's clock, which the completion job reads.
      if (shift.endsAt.getTime() <= (await databaseNow(em))) {
        throw new DomainError('SHIFT_CLOSED', 'The shift has ended: it completes on its own');
      }
      const ended = await this.endings.completeCheckedIn(em, id, 'company');
      // A missed check-in stays a no-show: the cancellation must not wipe it off the record.
      const noShows = await this.endings.markOverdueNoShows(em, id);
      const released = await this.endings.cancelAllOnShift(em, id);
      const waiting = await this.waitlistEntries.clear(em, id);
      const reason = input.reason?.trim() || null;
      await this.shifts.markCancelled(em, id, reason, released.length + noShows);
      await releaseTicketsLater(em, this.outbox, this.config, id, null);
      await this.outbox.enqueue(em, 'offers.withdraw', { shiftId: id, agentId: null });
      // Told at once, each agent with what became of its place: nobody had to find out by
      // reading its seats again.
      for (const [agents, seat] of [
        [released, 'released'],
        [ended, 'ended'],
        [waiting, 'waitlist'],
      ] as const) {
        for (const agentId of agents) {
          await this.events.record(em, {
            type: 'shift.cancelled',
            agentId,
            data: {
              shiftId: id,
              title: shift.title,
              startsAt: shift.startsAt,
              endsAt: shift.endsAt,
              reason,
              seat,
            },
          });
        }
      }
    });
    return toShiftDto(await this.shifts.oneWithSkills(this.db.manager, id));
  }
}
