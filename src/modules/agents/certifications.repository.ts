import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface CertifiedAgentRow {
  agent_id: string;
  display_name: string;
  certified_at: Date;
}

export interface AgentCertificationRow {
  company_id: string;
  certified_at: Date;
}

/** The certifications table: companies vouching for agents. */
@Injectable()
export class CertificationsRepository {
  /** Idempotent: certifying twice keeps the first row (and its date). */
  async insert(
    em: EntityManager,
    companyId: string,
    agentId: string,
    certifiedBy: string | null,
  ): Promise<void> {
    await em.query(
      `INSERT INTO certifications (company_id, agent_id, certified_by) VALUES ($1, $2, $3)
       ON CONFLICT ON CONSTRAINT pk_certifications DO NOTHING`,
      [companyId, agentId, certifiedBy],
    );
  }

  /** Returns how many rows went (0 or 1). */
  async remove(em: EntityManager, companyId: string, agentId: string): Promise<number> {
    const [, removed]: [unknown, number] = await em.query(
      'DELETE FROM certifications WHERE company_id = $1 AND agent_id = $2',
      [companyId, agentId],
    );
    return removed;
  }

  async exists(em: EntityManager, agentId: string, companyId: string): Promise<boolean> {
    const certified: unknown[] = await em.query(
      'SELECT 1 FROM certifications WHERE agent_id = $1 AND company_id = $2',
      [agentId, companyId],
    );
    return certified.length > 0;
  }

  /** The company's certified agents (or one of them), newest first. */
  ofCompany(
    em: EntityManager,
    companyId: string,
    agentId: string | null,
  ): Promise<CertifiedAgentRow[]> {
    return em.query(
      `SELECT c.agent_id, a.display_name, c.certified_at
         FROM certifications c JOIN agents a ON a.user_id = c.agent_id
        WHERE c.company_id = $1 AND ($2::uuid IS NULL OR c.agent_id = $2)
        ORDER BY c.certified_at DESC, c.agent_id`,
      [companyId, agentId],
    );
  }

  /** The companies that certified the agent, newest first. */
  ofAgent(em: EntityManager, agentId: string): Promise<AgentCertificationRow[]> {
    return em.query(
      `SELECT company_id, certified_at FROM certifications
        WHERE agent_id = $1 ORDER BY certified_at DESC`,
      [agentId],
    );
  }
}
