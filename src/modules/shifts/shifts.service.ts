import { Inject, Injectable } from '@nestjs/common';
import { CREDIT_GATE, type CreditGate } from '../../common/credit/credit-gate';
import { WORK_FACTS, type WorkFacts } from '../../common/pay/work-facts';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { Env } from '../../config/env.validation';
import { DataSource, EntityManager } from 'typeorm';
import { requireCompany } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError, FieldError } from '../../common/errors/domain-error';
import { decodeCursor, Page, toPage } from '../../common/pagination/page';
import { formatMoney } from '../../common/money/format-money';
import { duplicateSkillErrors } from '../../common/validation/duplicate-skills';
import { AgentsService } from '../agents/agents.service';
import { OutboxService } from '../outbox/outbox.service';
import { SkillsService } from '../skills/skills.service';
import {
  CancelShiftDto,
  CreateShiftDto,
  ListShiftsQueryDto,
  RequiredSkillDto,
  ShiftDetailDto,
  ShiftDto,
  SurgeDto,
  UpdateShiftDto,
} from './shift.dto';
import { surgeOf, toSeatHolderDto, toShiftDto, toWaitlistedAgentDto } from './shift.mapper';
import {
  earlyAccessErrors,
  enlarges,
  refuseUnsafeChanges,
  unsafeChanges,
} from './shift-change-rules';
import { checkWindow } from './shift.validation';
import { ShiftClaimViewsRepository } from './shift-claim-views.repository';
import { ShiftClaimsRepository } from './shift-claims.repository';
import { releaseTicketsLater } from './shift-end';
import { ShiftWaitlistRepository } from './shift-waitlist.repository';
import { ShiftWaitlistService } from './shift-waitlist.service';
import { ShiftsRepository } from './shifts.repository';
import { databaseNow } from '../../database/sql';

/** Changes that cannot hurt anyone already holding a seat. */

/** The company side of shifts: post, list, read, change safely, cancel. */
@Injectable()
export class ShiftsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly skills: SkillsService,
    private readonly outbox: OutboxService,
    private readonly waitlist: ShiftWaitlistService,
    private readonly config: ConfigService<Env, true>,
    private readonly shifts: ShiftsRepository,
    private readonly claims: ShiftClaimsRepository,
    private readonly claimViews: ShiftClaimViewsRepository,
    private readonly waitlistEntries: ShiftWaitlistRepository,
    private readonly agents: AgentsService,
    @Inject(CREDIT_GATE) private readonly credit: CreditGate,
    @Inject(WORK_FACTS) private readonly work: WorkFacts,
  ) {}

  async create(actor: Actor, input: CreateShiftDto): Promise<ShiftDto> {
    const companyId = requireCompany(actor);
    const startsAt = new Date(input.startsAt);
    const endsAt = new Date(input.endsAt);
    const problems = [
      ...checkWindow(startsAt, endsAt),
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

  async list(actor: Actor, query: ListShiftsQueryDto): Promise<Page<ShiftDto>> {
    const companyId = requireCompany(actor);
    const cursor = decodeCursor(query.cursor, ['instant', 'uuid']);
    const rows = await this.shifts.pageOfCompany(this.db.manager, companyId, {
      status: query.status ?? null,
      from: query.from ?? null,
      to: query.to ?? null,
      after: cursor,
      limit: query.limit + 1,
    });
    const page = toPage(
      rows,
      query.limit,
      (r) => r.id,
      (r) => [r.cursor_at, r.id],
    );
    const shifts = await this.shifts.withSkills(this.db.manager, page.items);
    return { items: shifts.map(toShiftDto), nextCursor: page.nextCursor };
  }

  /** One of the company's shifts with who holds its seats and who waits for one. */
  async get(actor: Actor, id: string): Promise<ShiftDetailDto> {
    const companyId = requireCompany(actor);
    const shift = await this.own(this.db.manager, companyId, id);
    const claims = await this.claimViews.seatHolders(this.db.manager, id);
    const waitlist = await this.waitlistEntries.entries(this.db.manager, id);
    // Every claim and waitlist entry has an agent (foreign keys): its name is always there.
    const names = await this.agents.displayNamesOf(this.db.manager, [
      ...claims.map((c) => c.agentId),
      ...waitlist.map((w) => w.agentId),
    ]);
    return {
      ...toShiftDto(shift),
      claims: claims.map((c) => toSeatHolderDto(c, names.get(c.agentId)!)),
      waitlist: waitlist.map((w) => toWaitlistedAgentDto(w, names.get(w.agentId)!)),
      surgeCommittedMinor: surgeOf(shift)
        ? await this.work.surgeCommitted(this.db.manager, id, false)
        : null,
    };
  }

  async update(actor: Actor, id: string, input: UpdateShiftDto): Promise<ShiftDetailDto> {
    const companyId = requireCompany(actor);
    // A change that enlarges the shift asks credit control before the transaction, as create
    // does (see there); the locked row below asks again only if it enlarges and this did not.
    const checked = enlargesNow(await this.own(this.db.manager, companyId, id), input);
    if (checked) await this.credit.assertMayAddDemand(companyId);
    await this.db.transaction(async (em) => {
      // The surge lock before the shift's row: a claim holding it still needs a key share on
      // the row (its insert's foreign key), which the row lock below would refuse it.
      const committed =
        input.surge || input.ratePerTicket ? await this.work.surgeCommitted(em, id, true) : 0;
      const shift = await this.own(em, companyId, id, true);
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
      if (endMoves && !startMoves && shift.startsAt.getTime() <= Date.now()) {
        // Not "startsAt must be in the future" about a field the caller did not change.
        problems.push({
          field: 'endsAt',
          messages: ['endsAt cannot change once the shift has started'],
        });
      } else if (startMoves || endMoves) {
        problems.push(...checkWindow(startsAt, endsAt));
      }
      if (input.requiredSkills) {
        problems.push(...duplicateSkillErrors(input.requiredSkills, 'requiredSkills'));
      }
      if (problems.length > 0) throw DomainError.validation(problems);
      if (!checked && enlarges(shift, input, startsAt, endsAt)) {
        await this.credit.assertMayAddDemand(companyId); // changed since the read above
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
      if (shift.seatsTaken === 0 && unsafeChanges(shift, input).length > 0) {
        await this.waitlistEntries.clear(em, id);
      } else if (input.seats !== undefined && input.seats > shift.seats) {
        await this.waitlist.promote(em, id);
      }
    });
    return this.get(actor, id);
  }

  /**
   * Cancels the shift; its seat holders are released without any mark on their record. A shift
   * already running keeps what was worked: its checked-in seats complete now (their time and
   * tickets count as on any completed seat), and a seat whose check-in deadline passed is the
   * no-show it already was. One past its end completes on its own: 409.
   */
  async cancel(actor: Actor, id: string, input: CancelShiftDto): Promise<ShiftDto> {
    const companyId = requireCompany(actor);
    await this.db.transaction(async (em) => {
      const shift = await this.own(em, companyId, id, true);
      if (shift.status !== 'scheduled') {
        throw new DomainError('SHIFT_CLOSED', 'The shift is already cancelled or completed');
      }
      // By the database's clock, which the completion job reads.
      if (shift.endsAt.getTime() <= (await databaseNow(em))) {
        throw new DomainError('SHIFT_CLOSED', 'The shift has ended: it completes on its own');
      }
      await this.claims.completeCheckedIn(em, id, 'company');
      // A missed check-in stays a no-show: the cancellation must not wipe it off the record.
      const noShows = await this.claims.markOverdueNoShows(em, id);
      const released = await this.claims.cancelAllOnShift(em, id);
      await this.waitlistEntries.clear(em, id);
      await this.shifts.markCancelled(em, id, input.reason?.trim() || null, released + noShows);
      await releaseTicketsLater(em, this.outbox, this.config, id, null);
      await this.outbox.enqueue(em, 'offers.withdraw', { shiftId: id, agentId: null });
    });
    return toShiftDto(await this.shifts.oneWithSkills(this.db.manager, id));
  }

  /**
   * A push shift's seats may check in before it starts, when no offer can be made yet (the
   * router's trigger only asks while a push shift is live): the router runs again at the start,
   * for the tickets that waited. A start moved later finds nothing to do at the old time.
   */
  private async routeAtStart(em: EntityManager, companyId: string, startsAt: Date): Promise<void> {
    await this.outbox.enqueue(em, 'offers.route', { companyId }, { runAt: startsAt });
  }

  private async own(em: EntityManager, companyId: string, id: string, lock = false) {
    const shift = await this.shifts.oneWithSkills(em, id, lock);
    // Another company's shift does not exist, as far as this company can tell.
    if (shift.companyId !== companyId) throw DomainError.notFound('Shift');
    return shift;
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
    (!moves || checkWindow(startsAt, endsAt).length === 0) &&
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
