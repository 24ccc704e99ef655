import { Injectable } from '@nestjs/common';
import { CompaniesService } from '../companies/companies.service';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { decodeCursor, Page, toPage } from '../../common/pagination/page';
import { AgentsService } from '../agents/agents.service';
import { OpenShiftDto, OpenShiftsQueryDto } from './shift.dto';
import { toOpenShiftDto } from './shift.mapper';
import { OpenShiftsRepository } from './open-shifts.repository';
import { ShiftsRepository } from './shifts.repository';

/**
 * Upcoming shifts an agent may claim, soonest first: the agent's qualifications from the agents
 * module (one statement), then one shifts statement taking them as parameters.
 */
@Injectable()
export class OpenShiftsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly agents: AgentsService,
    private readonly openShifts: OpenShiftsRepository,
    private readonly shifts: ShiftsRepository,
    private readonly companies: CompaniesService,
  ) {}

  async list(actor: Actor, query: OpenShiftsQueryDto): Promise<Page<OpenShiftDto>> {
    const { userId } = requireUser(actor, 'agent');
    const cursor = decodeCursor(query.cursor, ['instant', 'uuid']);
    const agent = await this.agents.qualificationsAnywhereOf(this.db.manager, userId);
    // A suspended agent may claim nothing (ineligibilityReasons: SUSPENDED): no shift is open.
    if (!agent || agent.suspended) return { items: [], nextCursor: null };
    const rows = await this.openShifts.pageFor(this.db.manager, userId, agent, {
      includeFull: query.includeFull ?? false,
      after: cursor,
      limit: query.limit + 1,
    });
    const page = toPage(
      rows,
      query.limit,
      (r) => r,
      (r) => [r.starts_at.toISOString(), r.id],
    );
    const shifts = await this.shifts.withSkills(
      this.db.manager,
      page.items.map((r) => r.id),
    );
    const names = await this.companies.namesOf(
      this.db.manager,
      page.items.map((r) => r.company_id),
    );
    return {
      items: shifts.map((s) => toOpenShiftDto(s, names.get(s.companyId)!)),
      nextCursor: page.nextCursor,
    };
  }
}
