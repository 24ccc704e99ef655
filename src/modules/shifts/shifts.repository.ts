import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { DomainError } from '../../common/errors/domain-error';
import { changedRows, cursorInstant, KeyedRow } from '../../database/sql';
import { Shift, ShiftRequiredSkill } from './shift.entity';
import { ACTIVE_CLAIM_STATUSES } from './shift-rules';
import { IdRow, RequiredSkillRow, ShiftKeyRow, ShiftWithSkills } from './shift.rows';

/**
 * Until when a seat can be taken, as minutes before the shift's end: direct claims close
 * SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END before it (never before the start: seat-window.ts), the
 * waitlist at the end (0).
 */
export type SeatCloseMinutes = number;

export interface ShiftListFilter {
  status: string | null;
  from: string | null;
  to: string | null;
  /** The keyset cursor: starts_at and id of the last shift of the previous page. */
  after: string[] | null;
  limit: number;
}

export interface FullnessRow {
  full: boolean;
}

export interface SeatStateRow {
  scheduled: boolean;
  open: boolean;
  full: boolean;
  claims_close_at: Date;
}

/** A seat just taken: from when the agent holds it (the start, or now if it has passed). */
export interface SeatTakenRow {
  held_from: Date;
}

export interface CheckInWindowRow {
  status: string;
  opens_at: Date;
  ends_at: Date;
  open: boolean;
}

export interface ShiftRateRow {
  rate_amount_minor: string;
  rate_currency: string;
}

export interface ShiftDueRow {
  due: boolean;
  ends_at: Date;
}

/** The shifts and shift_required_skills tables. */
@Injectable()
export class ShiftsRepository {
  /** Loads shifts with their required skills; `lock` takes the row lock (shift rows first, always). */
  async withSkills(em: EntityManager, ids: string[], lock = false): Promise<ShiftWithSkills[]> {
    if (ids.length === 0) return [];
    const qb = em.getRepository(Shift).createQueryBuilder('s').where('s.id IN (:...ids)', { ids });
    if (lock) qb.setLock('pessimistic_write');
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

  /** Whether a scheduled shift is full, read without a lock (undefined: not scheduled or none). */
  async fullness(em: EntityManager, shiftId: string): Promise<FullnessRow | undefined> {
    const [seen]: FullnessRow[] = await em.query(
      `SELECT seats_taken >= seats AS full FROM shifts WHERE id = $1 AND status = 'scheduled'`,
      [shiftId],
    );
    return seen;
  }

  /**
   * Takes a seat if one is free and claims are still open (see seat-window.ts); returns from
   * when the seat is held (the start, or now when taken after it), or null when none was taken.
   */
  async takeSeat(
    em: EntityManager,
    shiftId: string,
    closeMinutes: SeatCloseMinutes,
  ): Promise<Date | null> {
    const [taken] = await changedRows<SeatTakenRow>(
      em,
      `UPDATE shifts SET seats_taken = seats_taken + 1, updated_at = now()
        WHERE id = $1 AND status = 'scheduled' AND seats_taken < seats
          AND greatest(starts_at, ends_at - make_interval(mins => $2)) > now()
        RETURNING greatest(starts_at, now()) AS held_from`,
      [shiftId, closeMinutes],
    );
    return taken?.held_from ?? null;
  }

  async seatState(
    em: EntityManager,
    shiftId: string,
    closeMinutes: SeatCloseMinutes,
  ): Promise<SeatStateRow> {
    const [s]: SeatStateRow[] = await em.query(
      `SELECT status = 'scheduled' AS scheduled, status = 'scheduled' AND closes > now() AS open,
              seats_taken >= seats AS full, closes AS claims_close_at
         FROM shifts
        CROSS JOIN LATERAL (SELECT greatest(starts_at, ends_at - make_interval(mins => $2)) AS closes) c
        WHERE id = $1`,
      [shiftId, closeMinutes],
    );
    return s;
  }

  /** Gives one seat back (an agent's cancellation, a no-show). */
  async freeSeat(em: EntityManager, shiftId: string): Promise<void> {
    await em.query('UPDATE shifts SET seats_taken = seats_taken - 1 WHERE id = $1', [shiftId]);
  }

  /** Gives one seat back on each shift (a suspension cancelled one seat on each). */
  async freeOneSeatEach(em: EntityManager, shiftIds: string[]): Promise<void> {
    await em.query(
      `UPDATE shifts SET seats_taken = seats_taken - 1, updated_at = now() WHERE id = ANY($1)`,
      [shiftIds],
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

  /**
   * A share lock on the shift and its check-in window: check-ins proceed together, but not
   * through the middle of the shift's completion (which takes the row exclusively).
   */
  async lockForCheckIn(
    em: EntityManager,
    shiftId: string,
    opensMinutes: number,
  ): Promise<CheckInWindowRow | undefined> {
    const [shift]: CheckInWindowRow[] = await em.query(
      `SELECT status, starts_at - make_interval(mins => $2) AS opens_at, ends_at,
              now() >= starts_at - make_interval(mins => $2) AND now() < ends_at AS open
         FROM shifts WHERE id = $1 FOR SHARE`,
      [shiftId, opensMinutes],
    );
    return shift;
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

  /**
   * The shift's window, its row locked FOR NO KEY UPDATE (a check-out that may give its seat
   * back): it keeps out seat claims and check-ins, but not the key-share locks an offer or a
   * ticket claim of the same agent takes on the row (their foreign key) while holding the
   * agent's row, which the check-out asks for next (FOR UPDATE here deadlocked with those).
   */
  async lockWindow(
    em: EntityManager,
    shiftId: string,
  ): Promise<{ startsAt: Date; endsAt: Date } | undefined> {
    const [row]: { starts_at: Date; ends_at: Date }[] = await em.query(
      'SELECT starts_at, ends_at FROM shifts WHERE id = $1 FOR NO KEY UPDATE',
      [shiftId],
    );
    return row && { startsAt: row.starts_at, endsAt: row.ends_at };
  }

  async lock(em: EntityManager, shiftId: string): Promise<void> {
    await em.query('SELECT 1 FROM shifts WHERE id = $1 FOR UPDATE', [shiftId]);
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

  /**
   * Locks the shifts on which the agent holds a seat that has not ended, in id order, and
   * returns their ids.
   */
  async lockWithLiveSeatsOf(em: EntityManager, agentId: string): Promise<string[]> {
    // NO KEY UPDATE: it still keeps out seat claims and check-ins (FOR UPDATE there), but not the
    // foreign-key checks of an offer or claim the agent's own transaction inserts while it holds
    // the agent row this suspension waits for next (FOR UPDATE here deadlocked with those).
    return this.withLiveSeatsOf(em, agentId, 'FOR NO KEY UPDATE');
  }

  /**
   * The same shifts as lockWithLiveSeatsOf, read without a lock; with `certifiedOnlyOf`, only
   * that company's shifts that require its certification (what a revocation ends).
   */
  async withLiveSeatsOf(
    em: EntityManager,
    agentId: string,
    lock = '',
    certifiedOnlyOf: string | null = null,
  ): Promise<string[]> {
    const rows: IdRow[] = await em.query(
      `SELECT s.id FROM shifts s
        WHERE s.id IN (SELECT shift_id FROM shift_claims
                        WHERE agent_id = $1 AND status = ANY($2)
                          AND upper(period) > now())
          AND ($3::uuid IS NULL OR (s.company_id = $3 AND s.requires_certification))
        ORDER BY s.id ${lock}`,
      [agentId, ACTIVE_CLAIM_STATUSES, certifiedOnlyOf],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Locks the company's certified-only shifts on which the agent holds a seat that has not
   * ended, in id order (the lock order of lockWithLiveSeatsOf, and for its reason).
   */
  lockCertifiedWithLiveSeatsOf(
    em: EntityManager,
    agentId: string,
    companyId: string,
  ): Promise<string[]> {
    return this.withLiveSeatsOf(em, agentId, 'FOR NO KEY UPDATE', companyId);
  }
}
