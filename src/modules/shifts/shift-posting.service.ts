import { Inject, Injectable } from '@nestjs/common';
import { CREDIT_GATE, type CreditGate } from '../../common/credit/credit-gate';
import { WORK_FACTS, type WorkFacts } from '../../common/pay/work-facts';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireCompany } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError, FieldError } from '../../common/errors/domain-error';
import { formatMoney } from '../../common/money/format-money';
import { duplicateSkillErrors } from '../../common/validation/duplicate-skills';
import { databaseNow } from '../../database/sql';
import { EventsService } from '../events/events.service';
import { OutboxService } from '../outbox/outbox.service';
import { SkillsService } from '../skills/skills.service';
import { CreateShiftDto, RequiredSkillDto, SurgeDto, UpdateShiftDto } from './shift-write.dto';
import { ShiftDetailDto, ShiftDto } from './shift.dto';
import { toShiftDto } from './shift.mapper';
import {
  earlyAccessErrors,
  enlarges,
  refuseUnsafeChanges,
  unsafeChanges,
  widensSeats,
} from './shift-change-rules';
import { checkWindow } from './shift.validation';
import { ShiftWaitlistRepository } from './shift-waitlist.repository';
import { ShiftWaitlistService } from './shift-waitlist.service';
import { ShiftsRepository } from './shifts.repository';
import { ShiftsService } from './shifts.service';

/** The company side of shifts: post one, change it safely. */
@Injectable()
export class ShiftPostingService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly skills: SkillsService,
    private readonly outbox: OutboxService,
    private readonly waitlist: ShiftWaitlistService,
    private readonly shifts: ShiftsRepository,
    private readonly waitlistEntries: ShiftWaitlistRepository,
    private readonly reads: ShiftsService,
    private readonly events: EventsService,
    @Inject(CREDIT_GATE) private readonly credit: CreditGate,
    @Inject(WORK_FACTS) private readonly work: WorkFacts,
  ) {}

  async create(actor: Actor, input: CreateShiftDto): Promise<ShiftDto> {
    const companyId = requireCompany(actor);
    const startsAt = new Date(input.startsAt);
    const endsAt = new Date(input.endsAt);
    const problems = [
      ...checkWindow(startsAt, endsAt, await databaseNow(this.db.manager)),
      ...duplicateSkillErrors(input.requiredSkills, 'requiredSkills'),
      ...earlyAccessErrors(input),
    ];
    if (problems.length > 0) throw DomainError.validation(problems);
    // Before the transaction: the check runs on a connection of its own (the hold it finds is
    // stored even when this refuses), and transactions each waiting for a second connection
    // starved the pool (as many shift posts at once as connections: all stuck until timeout).
    await this.credit.assertMayAddDemand(companyId);
    const id = await this.db.transaction(async (em) => {
      await this.skills.assertUsable(em, skillFields(input.requiredSkills));
      const shiftId = await this.shifts.insert(em, {
        companyId,
        title: input.title?.trim() || null,
        startsAt,
        endsAt,
        seats: input.seats,
        seatsTaken: 0,
        languages: input.languages.map((l) => l.toLowerCase()),
        rateAmountMinor: input.ratePerTicket.amountMinor,
        rateCurrency: input.ratePerTicket.currency,
        requiresCertification: input.requiresCertification ?? false,
        checkInGraceMinutes: input.checkInGraceMinutes ?? 10,
        routing: input.routing ?? 'pull',
        offerSeconds: input.offerSeconds ?? 30,
        maxAwayMinutes: input.maxAwayMinutes ?? null,
        minQuality: input.minQuality ?? null,
        earlyAccessHours: input.earlyAccessHours ?? null,
        earlyAccessMinQuality: input.earlyAccessMinQuality ?? null,
        ...surgeColumns(input.surge ?? null),
        status: 'scheduled',
      });
      await this.shifts.insertRequiredSkills(em, shiftId, input.requiredSkills);
      await this.outbox.enqueue(em, 'shift.complete', { shiftId }, { runAt: endsAt });
      if (input.routing === 'push') await this.routeAtStart(em, companyId, startsAt);
      return shiftId;
    });
    return toShiftDto(await this.shifts.oneWithSkills(this.db.manager, id));
  }

  async update(actor: Actor, id: string, input: UpdateShiftDto): Promise<ShiftDetailDto> {
    const companyId = requireCompany(actor);
    // A change that enlarges the shift asks credit control before the transaction, as create
    // does (see there); one found enlarging only under the row's lock asks then, and runs again.
    let checked = enlargesNow(await this.reads.own(this.db.manager, companyId, id), input);
    for (;;) {
      if (checked) await this.credit.assertMayAddDemand(companyId);
      try {
        await this.db.transaction((em) => this.change(em, companyId, id, input, checked));
        return this.reads.get(actor, id);
      } catch (e) {
        // Asked here, between two transactions: asked in one, on a second connection while
        // holding the shift's row, as many such edits at once as connections starved the pool.
        if (!(e instanceof AskCreditFirst) || checked) throw e;
        checked = true;
      }
    }
  }

  /** The change, under the shift's lock; `checked`: credit control was asked before it. */
  private async change(
    em: EntityManager,
    companyId: string,
    id: string,
    input: UpdateShiftDto,
    checked: boolean,
  ): Promise<void> {
    // The shift's row first, as everywhere (a check-out holds it and then wants the agent's
    // row, which a claim holds while it waits for the surge lock), but FOR NO KEY UPDATE: a
    // claim holding the surge lock still needs a key share on the row (its insert's foreign
    // key), which that lets through and FOR UPDATE would not. Taken the other way round, the
    // surge lock first, a change, a check-out and a claim or an offer could deadlock.
    await this.shifts.lockForChange(em, id);
    const committed =
      input.surge || input.ratePerTicket ? await this.work.surgeCommitted(em, id, true) : 0;
    const shift = await this.reads.own(em, companyId, id); // held by the lock above
    if (shift.status !== 'scheduled') {
      throw new DomainError('SHIFT_CLOSED', 'A cancelled or completed shift cannot change');
    }
    refuseUnsafeChanges(shift, input, await this.work.ticketsHeldUnder(em, id));
    // Extras committed in the shift's currency stay counted against its budget: read in
    // another currency, the budget would sum two kinds of money.
    if (
      input.ratePerTicket &&
      input.ratePerTicket.currency !== shift.rateCurrency &&
      committed > 0
    ) {
      throw new DomainError(
        'SURGE_BUDGET_COMMITTED',
        `${formatMoney({ amountMinor: committed, currency: shift.rateCurrency })} of the surge budget is committed to claims and offers in ${shift.rateCurrency}: the rate cannot change currency; post a shift in ${input.ratePerTicket.currency}`,
        { committedMinor: committed },
      );
    }
    if (input.surge && input.surge.budgetMinor < committed) {
      throw new DomainError(
        'SURGE_BUDGET_COMMITTED',
        `${formatMoney({ amountMinor: committed, currency: shift.rateCurrency })} of the surge budget is committed to claims and offers; it cannot go below that`,
        { committedMinor: committed },
      );
    }
    const startsAt = input.startsAt ? new Date(input.startsAt) : shift.startsAt;
    const endsAt = input.endsAt ? new Date(input.endsAt) : shift.endsAt;
    const problems: FieldError[] = [];
    // Only a window that moves is checked: a client sending a running shift back as read
    // (its start now past) changes nothing there.
    const startMoves = startsAt.getTime() !== shift.startsAt.getTime();
    const endMoves = endsAt.getTime() !== shift.endsAt.getTime();
    const now = await databaseNow(em);
    if ((startMoves || endMoves) && shift.startsAt.getTime() <= now) {
      // A started shift does not move: its seats, check-ins and no-shows are of this window
      // (moved, they kept it, and a seat left early barred its agent from the new one). Not
      // "startsAt must be in the future" about a field the caller did not change.
      for (const [field, moves] of [
        ['startsAt', startMoves],
        ['endsAt', endMoves],
      ] as const) {
        if (moves)
          problems.push({
            field,
            messages: [`${field} cannot change once the shift has started`],
          });
      }
    } else if (startMoves || endMoves) {
      problems.push(...checkWindow(startsAt, endsAt, now, endMoves ? 'endsAt' : 'startsAt'));
    }
    if (input.requiredSkills) {
      problems.push(...duplicateSkillErrors(input.requiredSkills, 'requiredSkills'));
    }
    if (problems.length > 0) throw DomainError.validation(problems);
    if (!checked && enlarges(shift, input, startsAt, endsAt)) {
      // Changed since the read before: asked outside this transaction, then the change again.
      throw new AskCreditFirst();
    }
    if (input.requiredSkills) {
      // A skill retired since the shift required it may stay (at any level), as an agent's
      // held skill does; a newly required one must be current.
      const required = new Set(shift.requiredSkills.map((r) => r.skill));
      await this.skills.assertUsable(
        em,
        skillFields(input.requiredSkills).filter((f) => !required.has(f.code)),
      );
      await this.shifts.deleteRequiredSkills(em, id);
      await this.shifts.insertRequiredSkills(em, id, input.requiredSkills);
    }
    await this.shifts.update(em, id, {
      ...(input.title !== undefined && { title: input.title.trim() || null }),
      ...(input.seats !== undefined && { seats: input.seats }),
      ...(input.languages && { languages: input.languages.map((l) => l.toLowerCase()) }),
      ...(input.ratePerTicket && {
        rateAmountMinor: input.ratePerTicket.amountMinor,
        rateCurrency: input.ratePerTicket.currency,
      }),
      ...(input.requiresCertification !== undefined && {
        requiresCertification: input.requiresCertification,
      }),
      ...(input.checkInGraceMinutes !== undefined && {
        checkInGraceMinutes: input.checkInGraceMinutes,
      }),
      ...(input.routing !== undefined && { routing: input.routing }),
      ...(input.offerSeconds !== undefined && { offerSeconds: input.offerSeconds }),
      ...(input.maxAwayMinutes !== undefined && { maxAwayMinutes: input.maxAwayMinutes }),
      ...(input.minQuality !== undefined && { minQuality: input.minQuality }),
      ...(input.surge !== undefined && surgeColumns(input.surge)),
      startsAt,
      endsAt,
    });
    if (endsAt.getTime() !== shift.endsAt.getTime()) {
      // The earlier timer finds the shift not yet due and does nothing.
      await this.outbox.enqueue(em, 'shift.complete', { shiftId: id }, { runAt: endsAt });
    }
    const routing = input.routing ?? shift.routing;
    if (
      routing === 'push' &&
      (routing !== shift.routing || startsAt.getTime() !== shift.startsAt.getTime())
    ) {
      await this.routeAtStart(em, companyId, startsAt);
    }
    // No seat is taken, so anything may change; but agents still in line (none could be given
    // a seat: not eligible, or in line for a later vacancy) joined for the shift as it was: a
    // change that would be refused with seats taken (another window, a lower rate…) empties
    // the line rather than holding them to terms they never saw.
    const changed = unsafeChanges(shift, input);
    if (shift.seatsTaken === 0 && changed.length > 0) {
      // Each told at once, with what changed: the place in line went without a word before.
      for (const agentId of await this.waitlistEntries.clear(em, id)) {
        await this.events.record(em, {
          type: 'shift.waitlist_cleared',
          agentId,
          data: {
            shiftId: id,
            // As stored: trimmed, null when blank.
            title: input.title !== undefined ? input.title.trim() || null : shift.title,
            startsAt,
            endsAt,
            changed: changed.sort(),
          },
        });
      }
    } else if (widensSeats(shift, input)) {
      await this.waitlist.promote(em, id);
    }
  }

  /**
   * A push shift's seats may check in before it starts, when no offer can be made yet (the
   * router's trigger only asks while a push shift is live): the router runs again at the start,
   * for the tickets that waited. A start moved later finds nothing to do at the old time.
   */
  private async routeAtStart(em: EntityManager, companyId: string, startsAt: Date): Promise<void> {
    await this.outbox.enqueue(
      em,
      'offers.route',
      { companyId, notBefore: startsAt.toISOString() },
      { runAt: startsAt },
    );
  }
}

/**
 * Whether the change enlarges the shift as read: a scheduled one (running ones too), with a
 * valid window when the change moves it (else the transaction refuses it first, as it did
 * before credit was asked ahead of it; the window of a shift left as it is is not checked,
 * as the transaction does not: a running one starts in the past).
 */
function enlargesNow(
  shift: Parameters<typeof enlarges>[0] & { status: string },
  input: UpdateShiftDto,
): boolean {
  const startsAt = input.startsAt ? new Date(input.startsAt) : shift.startsAt;
  const endsAt = input.endsAt ? new Date(input.endsAt) : shift.endsAt;
  // As update checks it: only a window that moves (a running shift sent back as read is not).
  const moves =
    startsAt.getTime() !== shift.startsAt.getTime() || endsAt.getTime() !== shift.endsAt.getTime();
  return (
    shift.status === 'scheduled' &&
    // A first look by this process's clock: the transaction decides by the database's.
    (!moves || checkWindow(startsAt, endsAt, Date.now()).length === 0) &&
    enlarges(shift, input, startsAt, endsAt)
  );
}

function skillFields(skills: RequiredSkillDto[]) {
  return skills.map((s, i) => ({ field: `requiredSkills.${i}.skill`, code: s.skill }));
}

/** A shift's surge as its three columns (all null: none). */
function surgeColumns(surge: SurgeDto | null) {
  return {
    surgeMaxMultiplierBps: surge?.maxMultiplierBps ?? null,
    surgeOpenTicketsPerAgent: surge?.openTicketsPerAgent ?? null,
    surgeBudgetMinor: surge?.budgetMinor ?? null,
  };
}

/** The change enlarges the shift though the read before the transaction said it did not. */
class AskCreditFirst extends Error {}
