import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireCompany } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { AgentsService } from '../agents/agents.service';
import { CertificationsService } from '../agents/certifications.service';
import { CompanyAgentDto, CompanyAgentsQueryDto } from './shift-claim.dto';
import { ShiftClaimViewsRepository } from './shift-claim-views.repository';

/**
 * The agents a company knows: those who held a seat on its shifts, found by name, each with
 * whether the company certified it. A company finds agents to certify here, never in the whole
 * directory (an agent's name and record are its clients' business, not every company's).
 */
@Injectable()
export class CompanyAgentsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly claims: ShiftClaimViewsRepository,
    private readonly agents: AgentsService,
    private readonly certifications: CertificationsService,
  ) {}

  async find(actor: Actor, query: CompanyAgentsQueryDto): Promise<CompanyAgentDto[]> {
    const companyId = requireCompany(actor);
    const em = this.db.manager;
    const rows = await this.claims.companyAgents(em, companyId);
    const names = await this.agents.displayNamesOf(
      em,
      rows.map((r) => r.agent_id),
    );
    const term = query.q?.trim().toLocaleLowerCase();
    const matching = rows
      .filter((r) => names.has(r.agent_id))
      .filter((r) => !term || names.get(r.agent_id)!.toLocaleLowerCase().includes(term))
      .sort(
        (a, b) =>
          b.last_seat_at.getTime() - a.last_seat_at.getTime() ||
          a.agent_id.localeCompare(b.agent_id),
      )
      .slice(0, query.limit);
    const certified = await this.certifications.certifiedAtOf(
      actor,
      matching.map((r) => r.agent_id),
    );
    return matching.map((r) => ({
      agentId: r.agent_id,
      displayName: names.get(r.agent_id)!,
      seatsCompleted: r.seats_completed,
      lastSeatAt: r.last_seat_at,
      certifiedAt: certified.get(r.agent_id) ?? null,
    }));
  }
}
