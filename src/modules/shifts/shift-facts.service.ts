import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ShiftClaimViewsRepository } from './shift-claim-views.repository';
import { ShiftsRepository } from './shifts.repository';

/** What other modules may ask about shifts and seats, in their own transactions. */
@Injectable()
export class ShiftFacts {
  constructor(
    private readonly shifts: ShiftsRepository,
    private readonly claims: ShiftClaimViewsRepository,
  ) {}

  /** The pay per resolved ticket a shift offers now. */
  async rateOf(
    em: EntityManager,
    shiftId: string,
  ): Promise<{ amountMinor: number; currency: string }> {
    const rate = await this.shifts.rateOf(em, shiftId);
    return { amountMinor: Number(rate.rate_amount_minor), currency: rate.rate_currency };
  }

  /**
   * The agent's next seat that can still be worked (checked in, or claimed before its check-in
   * deadline) on a shift not ended, of one company or of any (null): for "not on shift" hints.
   */
  async nextSeatOf(
    em: EntityManager,
    agentId: string,
    companyId: string | null,
  ): Promise<{ shiftId: string; startsAt: Date; checkedIn: boolean } | null> {
    const row = await this.claims.nextSeatOf(em, agentId, companyId);
    return row
      ? { shiftId: row.shift_id, startsAt: row.starts_at, checkedIn: row.checked_in }
      : null;
  }

  /**
   * Where a ticket held under `shiftId` can carry on: the shift the agent is checked in on now,
   * if it is the same company's and pays in the same currency (an earning is in one currency,
   * and a surge extra is in the minor units of the shift that reserved it).
   */
  liveShiftLike(em: EntityManager, agentId: string, shiftId: string): Promise<string | null> {
    return this.claims.liveShiftLike(em, agentId, shiftId);
  }

  /** Whether the agent ever held a seat on one of the company's shifts. */
  heldSeatWith(em: EntityManager, agentId: string, companyId: string): Promise<boolean> {
    return this.claims.heldSeatWith(em, agentId, companyId);
  }

  /** Each shift's title (or null) and start, by id. */
  async labelsOf(
    em: EntityManager,
    shiftIds: string[],
  ): Promise<Map<string, { title: string | null; startsAt: Date }>> {
    if (shiftIds.length === 0) return new Map();
    const rows = await this.shifts.labels(em, [...new Set(shiftIds)]);
    return new Map(rows.map((r) => [r.id, { title: r.title, startsAt: r.starts_at }]));
  }
}
