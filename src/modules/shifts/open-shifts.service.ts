import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { decodeCursor, toPage } from '../../common/pagination/page';
import { Env } from '../../config/env.validation';
import { CompaniesService } from '../companies/companies.service';
import { openShiftsHints, OpenShiftsHint, SUSPENDED_HINTS } from './open-shift-hints';
import { OpenShiftsRepository } from './open-shifts.repository';
import { claimsCloseAt, lineClosesAt } from './seat-window';
import { IneligibleShiftDto, OpenShiftPageDto, OpenShiftsQueryDto } from './open-shift.dto';
import { seatIneligibilityReasons } from './eligibility';
import { ScoredAgent } from './open-shifts.repository';
import { ShiftEligibility } from './shift-eligibility.service';
import { PayPerHour } from './pay-per-hour.service';
import { toOpenShiftDto } from './shift.mapper';
import { ShiftsRepository } from './shifts.repository';
import { databaseNow } from '../../database/sql';

const INELIGIBLE_DAYS = 7;

/**
 * Shifts an agent may claim now, soonest first: the agent's qualifications from the agents
 * module (one statement) and its quality score, then one shifts statement taking them as parameters. An empty first
 * page costs one more statement, counting why (hints).
 */
@Injectable()
export class OpenShiftsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: ConfigService<Env, true>,
    private readonly eligibility: ShiftEligibility,
    private readonly pay: PayPerHour,
    private readonly openShifts: OpenShiftsRepository,
    private readonly shifts: ShiftsRepository,
    private readonly companies: CompaniesService,
  ) {}

  async list(actor: Actor, query: OpenShiftsQueryDto): Promise<OpenShiftPageDto> {
    const { userId } = requireUser(actor, 'agent');
    const cursor = decodeCursor(query.cursor, ['shiftTime', 'uuid']);
    const firstPage = cursor === null;
    const includeFull = query.includeFull ?? false;
    const closeMinutes = this.config.get('SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END', { infer: true });
    const agent = await this.eligibility.anywhere(this.db.manager, userId);
    // A suspended agent may claim nothing (ineligibilityReasons: SUSPENDED): no shift is open.
    if (!agent || agent.suspended) {
      // (include=ineligible: a suspension is its own answer, in the hints.)
      const hints = agent && firstPage ? [...SUSPENDED_HINTS] : [];
      return { items: [], nextCursor: null, hints };
    }
    const rows = await this.openShifts.pageFor(this.db.manager, userId, agent, closeMinutes, {
      includeFull,
      after: cursor,
      limit: query.limit + 1,
    });
    const page = toPage(
      rows,
      query.limit,
      (r) => r,
      (r) => [r.cursor_at, r.id],
    );
    let hints: OpenShiftsHint[] = [];
    if (page.items.length === 0 && firstPage) {
      const counts = await this.openShifts.countsFor(
        this.db.manager,
        userId,
        agent,
        closeMinutes,
        includeFull,
      );
      hints = openShiftsHints(agent, counts, includeFull);
    }
    const shifts = await this.shifts.withSkills(
      this.db.manager,
      page.items.map((r) => r.id),
    );
    const names = await this.companies.namesOf(
      this.db.manager,
      page.items.map((r) => r.company_id),
    );
    const hourly = await this.pay.expected(this.db.manager, shifts);
    const inLine = new Map(page.items.map((r) => [r.id, r.waitlist_position]));
    return {
      items: shifts.map((s) =>
        toOpenShiftDto(
          s,
          names.get(s.companyId)!,
          claimsCloseAt(s, closeMinutes),
          hourly.get(s.id)!,
          inLine.get(s.id) ?? null,
          lineClosesAt(s, closeMinutes),
        ),
      ),
      nextCursor: page.nextCursor,
      hints,
      ...(query.include === 'ineligible' &&
        firstPage && { ineligible: await this.ineligible(userId, agent, closeMinutes) }),
    };
  }

  /**
   * The next INELIGIBLE_DAYS' shifts the agent cannot take, with the reasons: the eligibility
   * rule itself (ineligibilityReasons) over the upcoming shifts, so the list and the claim can
   * never disagree.
   */
  private async ineligible(
    userId: string,
    agent: ScoredAgent,
    closeMinutes: number,
  ): Promise<IneligibleShiftDto[]> {
    const em = this.db.manager;
    const ids = await this.openShifts.upcomingRefusedIds(
      em,
      userId,
      agent,
      closeMinutes,
      INELIGIBLE_DAYS,
      100,
    );
    const shifts = await this.shifts.withSkills(em, ids);
    // The early-access gate by the database's clock, as the list above and the claim read it:
    // by the API's, a shift opening to all within the clocks' skew was in neither list.
    const now = new Date(await databaseNow(em));
    const refused = shifts
      .map((s) => ({ s, reasons: seatIneligibilityReasons(agent, s, now) }))
      .filter((x) => x.reasons.length > 0);
    const names = await this.companies.namesOf(
      em,
      refused.map((x) => x.s.companyId),
    );
    const hourly = await this.pay.expected(
      em,
      refused.map((x) => x.s),
    );
    return refused.map(({ s, reasons }) => ({
      ...toOpenShiftDto(
        s,
        names.get(s.companyId)!,
        claimsCloseAt(s, closeMinutes),
        hourly.get(s.id)!,
      ),
      reasons,
    }));
  }
}
