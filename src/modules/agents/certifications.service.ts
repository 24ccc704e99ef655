import { Injectable } from '@nestjs/common';
import { CompaniesService } from '../companies/companies.service';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireCompany, requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { decodeCursor, toPage } from '../../common/pagination/page';
import { PageQueryDto } from '../../common/pagination/page.dto';
import { AgentCertificationDto, CertifiedAgentDto, CertifiedAgentPageDto } from './agent.dto';
import { toAgentCertificationDto, toCertifiedAgentDto } from './agent.mapper';
import { AgentsRepository } from './agents.repository';
import { CertificationsRepository } from './certifications.repository';

/** A company vouches for an agent in its program; shifts may require it. */
@Injectable()
export class CertificationsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly agents: AgentsRepository,
    private readonly certifications: CertificationsRepository,
    private readonly companies: CompaniesService,
  ) {}

  /**
   * Idempotent: certifying twice keeps the first date. One transaction, the row locked by its
   * write: a revocation committing between the write and the read-back made the answer an
   * empty 200.
   */
  async certify(actor: Actor, agentId: string): Promise<CertifiedAgentDto> {
    const companyId = requireCompany(actor);
    return this.db.transaction(async (em) => {
      if (!(await this.agents.exists(em, agentId))) throw DomainError.notFound('Agent');
      await this.certifications.insert(
        em,
        companyId,
        agentId,
        actor.kind === 'user' ? actor.userId : null,
      );
      const [row] = await this.certifications.amongAgents(em, companyId, [agentId]);
      return toCertifiedAgentDto(row);
    });
  }

  /**
   * Deletes the certification inside the caller's transaction; false when there was none. The
   * use case, with what it does to seats, is CertificationRevocationService.
   */
  async remove(em: EntityManager, companyId: string, agentId: string): Promise<boolean> {
    return (await this.certifications.remove(em, companyId, agentId)) > 0;
  }

  /** The company's certified agents, newest first, a page at a time. */
  async listForCompany(actor: Actor, query: PageQueryDto): Promise<CertifiedAgentPageDto> {
    const companyId = requireCompany(actor);
    const after = decodeCursor(query.cursor, ['instant', 'uuid']);
    const rows = await this.certifications.pageOfCompany(
      this.db.manager,
      companyId,
      after && { certifiedAt: after[0], agentId: after[1] },
      query.limit + 1,
    );
    return toPage(rows, query.limit, toCertifiedAgentDto, (r) => [r.cursor_at, r.agent_id]);
  }

  /** When the company certified each of `agentIds` it certified. */
  async certifiedAtOf(actor: Actor, agentIds: string[]): Promise<Map<string, Date>> {
    const companyId = requireCompany(actor);
    const rows = await this.certifications.amongAgents(this.db.manager, companyId, agentIds);
    return new Map(rows.map((r) => [r.agent_id, r.certified_at]));
  }

  async listForAgent(actor: Actor): Promise<AgentCertificationDto[]> {
    const { userId } = requireUser(actor, 'agent');
    const rows = await this.certifications.ofAgent(this.db.manager, userId);
    const names = await this.companies.namesOf(
      this.db.manager,
      rows.map((r) => r.company_id),
    );
    return rows.map((r) => toAgentCertificationDto(r, names.get(r.company_id)!));
  }
}
