import { Injectable } from '@nestjs/common';
import { CompaniesService } from '../companies/companies.service';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireCompany, requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { AgentCertificationDto, CertifiedAgentDto } from './agent.dto';
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

  /** Idempotent: certifying twice keeps the first date. */
  async certify(actor: Actor, agentId: string): Promise<CertifiedAgentDto> {
    const companyId = requireCompany(actor);
    if (!(await this.agents.exists(this.db.manager, agentId))) {
      throw DomainError.notFound('Agent');
    }
    await this.certifications.insert(
      this.db.manager,
      companyId,
      agentId,
      actor.kind === 'user' ? actor.userId : null,
    );
    const [row] = await this.listForCompany(actor, agentId);
    return row;
  }

  /**
   * Deletes the certification inside the caller's transaction; false when there was none. The
   * use case, with what it does to seats, is CertificationRevocationService.
   */
  async remove(em: EntityManager, companyId: string, agentId: string): Promise<boolean> {
    return (await this.certifications.remove(em, companyId, agentId)) > 0;
  }

  async listForCompany(actor: Actor, agentId?: string): Promise<CertifiedAgentDto[]> {
    const companyId = requireCompany(actor);
    const rows = await this.certifications.ofCompany(this.db.manager, companyId, agentId ?? null);
    return rows.map(toCertifiedAgentDto);
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
