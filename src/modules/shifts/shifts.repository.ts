import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { DomainError } from '../../common/errors/domain-error';
import { cursorInstant, KeyedRow } from '../../database/sql';
import { Shift, ShiftRequiredSkill } from './shift.entity';
import { RequiredSkillRow, ShiftKeyRow, ShiftWithSkills } from './shift.rows';

export interface ShiftListFilter {
  status: string | null;
  from: string | null;
  to: string | null;
  /** The keyset cursor: starts_at and id of the last shift of the previous page. */
  after: string[] | null;
  limit: number;
}

export interface ShiftRateRow {
  rate_amount_minor: string;
  rate_currency: string;
}

export interface ShiftDueRow {
  due: boolean;
  ends_at: Date;
}

/**
 * The shifts and shift_required_skills tables (a shift's seats: ShiftSeatsRepository; the
 * shifts of an agent's live seats: LiveSeatShiftsRepository).
 */
@Injectable()
export class ShiftsRepository {
  /**
   * Loads shifts with their required skills; `lock` takes the row lock (shift rows first,
   * always) FOR NO KEY UPDATE, as lockForChange: seat claims, waitlist joins and promotions
   * wait for each other and keep out check-ins and the shift's end, but not the key share an
   * agent's ticket claim or offer takes on its live shift while it holds the agent's row, which
   * they ask for next (FOR UPDATE here deadlocked with those).
   */
  async withSkills(em: EntityManager, ids: string[], lock = false): Promise<ShiftWithSkills[]> {
    if (ids.length === 0) return [];
    const qb = em.getRepository(Shift).createQueryBuilder('s').where('s.id IN (:...ids)', { ids });
    if (lock) qb.setLock('for_no_key_update');
    const shifts = await qb.getMany();
    const skills = await em
      .getRepository(ShiftRequiredSkill)
      .createQueryBuilder('r')
      .where('r.shiftId IN (:...ids)', { ids })
      .orderBy('r.skill')
      .getMany();
    const byId = new Map(ids.map((id) => [id, [] as RequiredSkillRow[]]));
    for (const r of skills) byId.get(r.shiftId)?.push({ skill: r.skill, minLevel: r.minLevel });
    const order = new Map(ids.map((id, i) => [id, i]));
    return shifts
      .map((s) => Object.assign(s, { requiredSkills: byId.get(s.id) ?? [] }))
      .sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  }

  /**
   * The shift's row locked FOR NO KEY UPDATE: every other change and seat waits, while inserts
   * that reference the shift (a ticket claim) still take their key share.
   */
  async lockForChange(em: EntityManager, id: string): Promise<void> {
    await em.query('SELECT 1 FROM shifts WHERE id = $1 FOR NO KEY UPDATE', [id]);
  }

  /** One shift with its required skills, or SHIFT not found. */
  async oneWithSkills(em: EntityManager, id: string, lock = false): Promise<ShiftWithSkills> {
    const [shift] = await this.withSkills(em, [id], lock);
    if (!shift) throw DomainError.notFound('Shift');
    return shift;
  }

  async insert(em: EntityManager, values: Partial<Shift>): Promise<string> {
    const shift = await em.save(em.create(Shift, values));
    return shift.id;
  }

  async update(em: EntityManager, id: string, values: QueryDeepPartialEntity<Shift>) {
    await em.update(Shift, { id }, values);
  }

  async insertRequiredSkills(em: EntityManager, shiftId: string, skills: RequiredSkillRow[]) {
    if (skills.length === 0) return;
    await em.insert(
      ShiftRequiredSkill,
      skills.map((s) => ({ shiftId, skill: s.skill, minLevel: s.minLevel })),
    );
  }

  async deleteRequiredSkills(em: EntityManager, shiftId: string): Promise<void> {
    await em.delete(ShiftRequiredSkill, { shiftId });
  }

  /** A company's shifts, soonest first, one page (keyset on starts_at, id). */
  pageOfCompany(
    em: EntityManager,
    companyId: string,
    f: ShiftListFilter,
  ): Promise<KeyedRow<ShiftKeyRow>[]> {
    return em.query(
      `SELECT id, starts_at, ${cursorInstant('starts_at')} FROM shifts
        WHERE company_id = $1
          AND ($2::text IS NULL OR status = $2)
          AND ($3::timestamptz IS NULL OR starts_at >= $3)
          AND ($4::timestamptz IS NULL OR starts_at < $4)
          AND ($5::timestamptz IS NULL OR (starts_at, id) > ($5::timestamptz, $6::uuid))
        ORDER BY starts_at, id LIMIT $7`,
      [companyId, f.status, f.from, f.to, f.after?.[0] ?? null, f.after?.[1] ?? null, f.limit],
    );
  }

  async markCancelled(
    em: EntityManager,
    id: string,
    reason: string | null,
    seatsReleased: number,
  ): Promise<void> {
    await em.query(
      `UPDATE shifts SET status = 'cancelled', cancelled_at = now(), cancel_reason = $2,
              seats_taken = seats_taken - $3, updated_at = now()
        WHERE id = $1`,
      [id, reason, seatsReleased],
    );
  }

  async markCompleted(em: EntityManager, id: string, seatsFreed: number): Promise<void> {
    await em.query(
      `UPDATE shifts SET status = 'completed', completed_at = now(), updated_at = now(),
              seats_taken = seats_taken - $2
        WHERE id = $1`,
      [id, seatsFreed],
    );
  }

  async rateOf(em: EntityManager, shiftId: string): Promise<ShiftRateRow> {
    const [rate]: ShiftRateRow[] = await em.query(
      'SELECT rate_amount_minor, rate_currency FROM shifts WHERE id = $1',
      [shiftId],
    );
    return rate;
  }

  /** Titles and starts of these shifts (invoice lines name them). */
  labels(
    em: EntityManager,
    shiftIds: string[],
  ): Promise<{ id: string; title: string | null; starts_at: Date }[]> {
    return em.query('SELECT id, title, starts_at FROM shifts WHERE id = ANY($1::uuid[])', [
      shiftIds,
    ]);
  }

  /** Locks the shift if it is the company's (a row another company has is neither waited for nor locked). */
  async lockOwned(em: EntityManager, companyId: string, shiftId: string): Promise<void> {
    await em.query('SELECT 1 FROM shifts WHERE id = $1 AND company_id = $2 FOR UPDATE', [
      shiftId,
      companyId,
    ]);
  }

  /** Locks a scheduled shift and says whether its end has come (undefined: not scheduled). */
  async lockIfScheduled(em: EntityManager, shiftId: string): Promise<ShiftDueRow | undefined> {
    const [shift]: ShiftDueRow[] = await em.query(
      `SELECT ends_at <= now() AS due, ends_at FROM shifts
        WHERE id = $1 AND status = 'scheduled' FOR UPDATE`,
      [shiftId],
    );
    return shift;
  }
}
