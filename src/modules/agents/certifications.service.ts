import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireCompany, requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { AgentCertificationDto, CertifiedAgentDto } from './agent.dto';
import { Agent } from './agent.entity';

/** A company vouches for an agent in its program; shifts may require it. */
@Injectable()
export class CertificationsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Idempotent: certifying twice keeps the first date. */
  async certify(actor: Actor, agentId: string): Promise<CertifiedAgentDto> {
    const companyId = requireCompany(actor);
    if (!(await this.db.getRepository(Agent).existsBy({ userId: agentId }))) {
      throw DomainError.notFound('Agent');
    }
    await this.db.query(
      `INSERT INTO certifications (company_id, agent_id, certified_by) VALUES ($1, $2, $3)
       ON CONFLICT ON CONSTRAINT pk_certifications DO NOTHING`,
      [companyId, agentId, actor.kind === 'user' ? actor.userId : null],
    );
    const [row] = await this.listForCompany(actor, agentId);
    return row;
  }

  async revoke(actor: Actor, agentId: string): Promise<void> {
    const companyId = requireCompany(actor);
    const [, removed] = await this.db.query(
      'DELETE FROM certifications WHERE company_id = $1 AND agent_id = $2',
      [companyId, agentId],
    );
    if (removed === 0) throw DomainError.notFound('Certification');
  }

  async listForCompany(actor: Actor, agentId?: string): Promise<CertifiedAgentDto[]> {
    const companyId = requireCompany(actor);
    const rows: { agent_id: string; display_name: string; certified_at: Date }[] =
      await this.db.query(
        `SELECT c.agent_id, a.display_name, c.certified_at
           FROM certifications c JOIN agents a ON a.user_id = c.agent_id
          WHERE c.company_id = $1 AND ($2::uuid IS NULL OR c.agent_id = $2)
          ORDER BY c.certified_at DESC, c.agent_id`,
        [companyId, agentId ?? null],
      );
    return rows.map((r) => ({
      agentId: r.agent_id,
      displayName: r.display_name,
      certifiedAt: r.certified_at,
    }));
  }

  async listForAgent(actor: Actor): Promise<AgentCertificationDto[]> {
    const { userId } = requireUser(actor, 'agent');
    const rows: { company_id: string; name: string; certified_at: Date }[] = await this.db.query(
      `SELECT c.company_id, co.name, c.certified_at
         FROM certifications c JOIN companies co ON co.id = c.company_id
        WHERE c.agent_id = $1 ORDER BY c.certified_at DESC`,
      [userId],
    );
    return rows.map((r) => ({
      companyId: r.company_id,
      companyName: r.name,
      certifiedAt: r.certified_at,
    }));
  }
}
