import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { Env } from '../../config/env.validation';
import { DataSource, EntityManager } from 'typeorm';
import { requireCompany } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { changedRows } from '../../database/sql';
import { DomainError, FieldError } from '../../common/errors/domain-error';
import { decodeCursor, Page, toPage } from '../../common/pagination/page';
import { OutboxService } from '../outbox/outbox.service';
import { SkillsService } from '../skills/skills.service';
import {
  CancelShiftDto,
  CreateShiftDto,
  ListShiftsQueryDto,
  RequiredSkillDto,
  ShiftDetailDto,
  ShiftDto,
  UpdateShiftDto,
} from './shift.dto';
import { Shift, ShiftRequiredSkill } from './shift.entity';
import { releaseTicketsLater } from './shift-end';
import { ShiftWaitlistService } from './shift-waitlist.service';
import {
  checkWindow,
  duplicateSkillErrors,
  loadShift,
  loadShifts,
  ShiftWithSkills,
  toShiftDto,
} from './shift-views';

/** Changes that cannot hurt anyone already holding a seat. */
const SAFE_WITH_CLAIMS = new Set(['title', 'seats', 'ratePerTicket', 'requiresCertification']);

/** The company side of shifts: post, list, read, change safely, cancel. */
@Injectable()
export class ShiftsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly skills: SkillsService,
    private readonly outbox: OutboxService,
    private readonly waitlist: ShiftWaitlistService,
    private readonly config: ConfigService<Env, true>,
  ) {}

  async create(actor: Actor, input: CreateShiftDto): Promise<ShiftDto> {
    const companyId = requireCompany(actor);
    const startsAt = new Date(input.startsAt);
    const endsAt = new Date(input.endsAt);
    const problems = [
      ...checkWindow(startsAt, endsAt),
      ...duplicateSkillErrors(input.requiredSkills, 'requiredSkills'),
    ];
    if (problems.length > 0) throw DomainError.validation(problems);
    const id = await this.db.transaction(async (em) => {
      await this.skills.assertUsable(em, skillFields(input.requiredSkills));
      const shift = await em.save(
        em.create(Shift, {
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
          status: 'scheduled',
        }),
      );
      await this.saveSkills(em, shift.id, input.requiredSkills);
      await this.outbox.enqueue(em, 'shift.complete', { shiftId: shift.id }, { runAt: endsAt });
      return shift.id;
    });
    return toShiftDto(await loadShift(this.db.manager, id));
  }

  async list(actor: Actor, query: ListShiftsQueryDto): Promise<Page<ShiftDto>> {
    const companyId = requireCompany(actor);
    const cursor = decodeCursor(query.cursor, ['instant', 'uuid']);
    const rows: { id: string; starts_at: Date }[] = await this.db.query(
      `SELECT id, starts_at FROM shifts
        WHERE company_id = $1
          AND ($2::text IS NULL OR status = $2)
          AND ($3::timestamptz IS NULL OR starts_at >= $3)
          AND ($4::timestamptz IS NULL OR starts_at < $4)
          AND ($5::timestamptz IS NULL OR (starts_at, id) > ($5::timestamptz, $6::uuid))
        ORDER BY starts_at, id LIMIT $7`,
      [
        companyId,
        query.status ?? null,
        query.from ?? null,
        query.to ?? null,
        cursor?.[0] ?? null,
        cursor?.[1] ?? null,
        query.limit + 1,
      ],
    );
    const page = toPage(
      rows,
      query.limit,
      (r) => r.id,
      (r) => [r.starts_at.toISOString(), r.id],
    );
    const shifts = await loadShifts(this.db.manager, page.items);
    return { items: shifts.map(toShiftDto), nextCursor: page.nextCursor };
  }

  /** One of the company's shifts with who holds its seats and who waits for one. */
  async get(actor: Actor, id: string): Promise<ShiftDetailDto> {
    const companyId = requireCompany(actor);
    const shift = await this.own(this.db.manager, companyId, id);
    const claims = await this.db.query(
      `SELECT c.id AS "claimId", c.agent_id AS "agentId", a.display_name AS "displayName",
              c.status, c.source, c.claimed_at AS "claimedAt", c.checked_in_at AS "checkedInAt",
              c.checked_out_at AS "checkedOutAt", c.cancelled_at AS "cancelledAt",
              c.late_cancellation AS "lateCancellation", c.no_show_at AS "noShowAt"
         FROM shift_claims c JOIN agents a ON a.user_id = c.agent_id
        WHERE c.shift_id = $1 ORDER BY c.claimed_at, c.id`,
      [id],
    );
    const waitlist = await this.db.query(
      `SELECT w.agent_id AS "agentId", a.display_name AS "displayName", w.joined_at AS "joinedAt"
         FROM shift_waitlist w JOIN agents a ON a.user_id = w.agent_id
        WHERE w.shift_id = $1 ORDER BY w.joined_at, w.agent_id`,
      [id],
    );
    return { ...toShiftDto(shift), claims, waitlist };
  }

  async update(actor: Actor, id: string, input: UpdateShiftDto): Promise<ShiftDetailDto> {
    const companyId = requireCompany(actor);
    await this.db.transaction(async (em) => {
      const shift = await this.own(em, companyId, id, true);
      if (shift.status !== 'scheduled') {
        throw new DomainError('SHIFT_CLOSED', 'A cancelled or completed shift cannot change');
      }
      this.refuseUnsafeChanges(shift, input);
      const startsAt = input.startsAt ? new Date(input.startsAt) : shift.startsAt;
      const endsAt = input.endsAt ? new Date(input.endsAt) : shift.endsAt;
      const problems: FieldError[] = [];
      if (input.startsAt || input.endsAt) problems.push(...checkWindow(startsAt, endsAt));
      if (input.requiredSkills) {
        problems.push(...duplicateSkillErrors(input.requiredSkills, 'requiredSkills'));
      }
      if (problems.length > 0) throw DomainError.validation(problems);
      if (input.requiredSkills) {
        await this.skills.assertUsable(em, skillFields(input.requiredSkills));
        await em.delete(ShiftRequiredSkill, { shiftId: id });
        await this.saveSkills(em, id, input.requiredSkills);
      }
      await em.update(
        Shift,
        { id },
        {
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
          startsAt,
          endsAt,
        },
      );
      if (endsAt.getTime() !== shift.endsAt.getTime()) {
        // The earlier timer finds the shift not yet due and does nothing.
        await this.outbox.enqueue(em, 'shift.complete', { shiftId: id }, { runAt: endsAt });
      }
      if (input.seats !== undefined && input.seats > shift.seats)
        await this.waitlist.promote(em, id);
    });
    return this.get(actor, id);
  }

  /** Cancels the shift; its seat holders are released without any mark on their record. */
  async cancel(actor: Actor, id: string, input: CancelShiftDto): Promise<ShiftDto> {
    const companyId = requireCompany(actor);
    await this.db.transaction(async (em) => {
      const shift = await this.own(em, companyId, id, true);
      if (shift.status !== 'scheduled') {
        throw new DomainError('SHIFT_CLOSED', 'The shift is already cancelled or completed');
      }
      const released = await changedRows(
        em,
        `UPDATE shift_claims SET status = 'cancelled', cancelled_at = now(), cancelled_by = 'company'
          WHERE shift_id = $1 AND status IN ('claimed', 'checked_in') RETURNING id`,
        [id],
      );
      await em.query('DELETE FROM shift_waitlist WHERE shift_id = $1', [id]);
      await em.query(
        `UPDATE shifts SET status = 'cancelled', cancelled_at = now(), cancel_reason = $2,
                seats_taken = seats_taken - $3, updated_at = now()
          WHERE id = $1`,
        [id, input.reason?.trim() || null, released.length],
      );
      await releaseTicketsLater(em, this.outbox, this.config, id, null);
    });
    return toShiftDto(await loadShift(this.db.manager, id));
  }

  private refuseUnsafeChanges(shift: ShiftWithSkills, input: UpdateShiftDto): void {
    if (input.seats !== undefined && input.seats < shift.seatsTaken) {
      throw new DomainError(
        'SEATS_BELOW_TAKEN',
        `${shift.seatsTaken} seats are taken; seats cannot go below that`,
        { seatsTaken: shift.seatsTaken },
      );
    }
    if (shift.seatsTaken === 0) return;
    const unsafe = Object.keys(input).filter(
      (k) => input[k as keyof UpdateShiftDto] !== undefined && !SAFE_WITH_CLAIMS.has(k),
    );
    if (input.requiresCertification === true && !shift.requiresCertification) {
      unsafe.push('requiresCertification');
    }
    const rate = input.ratePerTicket;
    if (
      rate &&
      (rate.currency !== shift.rateCurrency || rate.amountMinor < shift.rateAmountMinor)
    ) {
      unsafe.push('ratePerTicket');
    }
    if (unsafe.length > 0) {
      throw new DomainError(
        'SHIFT_HAS_CLAIMS',
        'Seats are taken: only the title, seats, a higher rate or dropping the certification requirement can change',
        {
          fields: unsafe.map((field) => ({
            field,
            messages: [`${field} cannot change once seats are taken`],
          })),
        },
      );
    }
  }

  private async own(em: EntityManager, companyId: string, id: string, lock = false) {
    const shift = await loadShift(em, id, lock);
    // Another company's shift does not exist, as far as this company can tell.
    if (shift.companyId !== companyId) throw DomainError.notFound('Shift');
    return shift;
  }

  private async saveSkills(em: EntityManager, shiftId: string, skills: RequiredSkillDto[]) {
    if (skills.length === 0) return;
    await em.insert(
      ShiftRequiredSkill,
      skills.map((s) => ({ shiftId, skill: s.skill, minLevel: s.minLevel })),
    );
  }
}

function skillFields(skills: RequiredSkillDto[]) {
  return skills.map((s, i) => ({ field: `requiredSkills.${i}.skill`, code: s.skill }));
}
