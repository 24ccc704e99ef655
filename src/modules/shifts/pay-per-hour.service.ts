import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { WORK_FACTS, type WorkFacts } from '../../common/pay/work-facts';
import { QUALITY_WINDOW_DAYS } from '../../common/quality/quality-window';
import { ShiftClaimViewsRepository } from './shift-claim-views.repository';
import { ExpectedHourlyDto } from './open-shift.dto';
import { ShiftClaimViewRow } from './shift.rows';

/** Under this many worked agent-hours a company has no history worth an estimate. */
const MIN_AGENT_HOURS = 1;
const DAY = 86_400_000;

export interface SeatPay {
  workedSeconds: number;
  earned: { amountMinor: number; currency: string };
  effectiveHourly: { amountMinor: number; currency: string } | null;
}

/**
 * Pay that shows per hour (issue 19): what each completed seat earned per worked hour, and what
 * an open shift may pay per hour from its company's history.
 */
@Injectable()
export class PayPerHour {
  constructor(
    private readonly views: ShiftClaimViewsRepository,
    @Inject(WORK_FACTS) private readonly work: WorkFacts,
  ) {}

  /** For the agent's completed seats among `rows`: worked time, earned, earned per hour. */
  async ofSeats(
    em: EntityManager,
    agentId: string,
    rows: ShiftClaimViewRow[],
  ): Promise<Map<string, SeatPay>> {
    const done = rows.filter((r) => r.worked_seconds !== null);
    if (done.length === 0) return new Map();
    // Every seat the agent had on those shifts splits their tickets, not only the rows asked
    // about: asked alone, a second seat on a shift took the first one's tickets too.
    const shifts = [...new Set(done.map((r) => r.shift_id))];
    const seats = await this.views.workedSeatsOn(em, agentId, shifts);
    const earned = await this.work.earnedOnSeats(
      em,
      agentId,
      seats.map((r) => ({ seatId: r.id, shiftId: r.shift_id, from: r.checked_in_at })),
    );
    return new Map(
      done.map((r) => {
        const w = earned.get(r.id);
        const money = {
          amountMinor: w?.earnedMinor ?? 0,
          currency: w?.currency ?? r.rate_currency,
        };
        const seconds = r.worked_seconds!;
        return [
          r.id,
          {
            workedSeconds: seconds,
            earned: money,
            effectiveHourly:
              seconds < 60
                ? null
                : {
                    amountMinor: Math.round((money.amountMinor * 3600) / seconds),
                    currency: money.currency,
                  },
          },
        ];
      }),
    );
  }

  /** Per shift: the expected hourly pay at its rate from its company's last 90 days. */
  async expected(
    em: EntityManager,
    shifts: { id: string; companyId: string; rateAmountMinor: number; rateCurrency: string }[],
  ): Promise<Map<string, ExpectedHourlyDto>> {
    const companies = [...new Set(shifts.map((s) => s.companyId))];
    if (companies.length === 0) return new Map();
    const since = new Date(Date.now() - QUALITY_WINDOW_DAYS * DAY);
    const history = await this.views.companyHistory(em, companies, since);
    // The resolutions of the hours counted: each worked seat's agent on its shift. Not every
    // agent's on the shift: one still working (or whose seat a suspension cancelled) has
    // resolutions but no counted hours, which made one agent's hour look like many.
    const resolved = await this.work.resolutionsOnSeats(
      em,
      history.flatMap((h) =>
        h.shift_ids.map((shiftId, i) => ({
          shiftId,
          agentId: h.agent_ids[i],
          group: h.company_id,
        })),
      ),
    );
    const perHour = new Map(
      history.map((h) => {
        const hours = h.worked_seconds / 3600;
        const n = resolved.get(h.company_id) ?? 0;
        return [h.company_id, { hours, rate: hours >= MIN_AGENT_HOURS ? n / hours : null }];
      }),
    );
    return new Map(
      shifts.map((s) => {
        const h = perHour.get(s.companyId);
        const rate = h?.rate ?? null;
        return [
          s.id,
          {
            estimate: true,
            amount:
              rate === null
                ? null
                : { amountMinor: Math.round(s.rateAmountMinor * rate), currency: s.rateCurrency },
            resolutionsPerAgentHour: rate === null ? null : Math.round(rate * 100) / 100,
            agentHours: Math.round((h?.hours ?? 0) * 10) / 10,
          },
        ];
      }),
    );
  }
}
