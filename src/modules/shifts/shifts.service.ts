import { Inject, Injectable } from '@nestjs/common';
import { WORK_FACTS, type WorkFacts } from '../../common/pay/work-facts';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireCompany } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { decodeCursor, Page, toPage } from '../../common/pagination/page';
import { AgentsService } from '../agents/agents.service';
import { ListShiftsQueryDto, ShiftDetailDto, ShiftDto } from './shift.dto';
import { surgeOf, toSeatHolderDto, toShiftDto, toWaitlistedAgentDto } from './shift.mapper';
import { ShiftClaimViewsRepository } from './shift-claim-views.repository';
import { ShiftWaitlistRepository } from './shift-waitlist.repository';
import { ShiftsRepository } from './shifts.repository';

/** Changes that cannot hurt anyone already holding a seat. */

/**
 * The company side of shifts: list and read. Posting and changing them is ShiftPostingService,
 * cancelling ShiftCancellationService.
 */
@Injectable()
export class ShiftsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly shifts: ShiftsRepository,
    private readonly claimViews: ShiftClaimViewsRepository,
    private readonly waitlistEntries: ShiftWaitlistRepository,
    private readonly agents: AgentsService,
    @Inject(WORK_FACTS) private readonly work: WorkFacts,
  ) {}

  async list(actor: Actor, query: ListShiftsQueryDto): Promise<Page<ShiftDto>> {
    const companyId = requireCompany(actor);
    const cursor = decodeCursor(query.cursor, ['shiftTime', 'uuid']);
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

  /** One of the company's shifts with its required skills (locked if asked), for every use case. */
  async own(em: EntityManager, companyId: string, id: string, lock = false) {
    const shift = await this.shifts.oneWithSkills(em, id, lock);
    // Another company's shift does not exist, as far as this company can tell.
    if (shift.companyId !== companyId) throw DomainError.notFound('Shift');
    return shift;
  }
}
