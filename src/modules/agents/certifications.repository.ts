import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { cursorInstant, KeyedRow } from '../../database/sql';

export interface CertifiedAgentRow {
  agent_id: string;
  display_name: string;
  certified_at: Date;
}

/** Where a page of a company's certified agents ends: its last row's sort key. */
export interface CertifiedAgentCursor {
  certifiedAt: string;
  agentId: string;
}

export interface AgentCertificationRow {
  company_id: string;
  certified_at: Date;
}

/** A certified agent's columns, with the name from the agent's profile. */
const CERTIFIED_AGENT = `c.agent_id, a.display_name, c.certified_at
  FROM certifications c JOIN agents a ON a.user_id = c.agent_id`;

/** The certifications table: companies vouching for agents. */
@Injectable()
export class CertificationsRepository {
  /**
   * Idempotent: certifying twice keeps the first row (and its date). The row, new or found, is
   * locked to the end of the transaction (an update that changes nothing: DO NOTHING locks
   * nothing), so a revocation cannot delete it before the caller reads it back.
   */
  async insert(
    em: EntityManager,
    companyId: string,
    agentId: string,
    certifiedBy: string | null,
  ): Promise<void> {
    await em.query(
      `INSERT INTO certifications (company_id, agent_id, certified_by) VALUES ($1, $2, $3)
       ON CONFLICT ON CONSTRAINT pk_certifications
       DO UPDATE SET certified_by = certifications.certified_by`,
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

  /**
   * One keyset page of the company's certified agents after `after`, newest first; the agent's
   * id breaks ties (one row per agent in a company), so no two rows share a position. Read along
   * ix_certifications_company_certified, which stops at the page's end.
   */
  pageOfCompany(
    em: EntityManager,
    companyId: string,
    after: CertifiedAgentCursor | null,
    limit: number,
  ): Promise<KeyedRow<CertifiedAgentRow>[]> {
    return em.query(
      `SELECT ${cursorInstant('c.certified_at')}, ${CERTIFIED_AGENT}
        WHERE c.company_id = $1
          AND ($2::timestamptz IS NULL OR (c.certified_at, c.agent_id) < ($2::timestamptz, $3::uuid))
        ORDER BY c.certified_at DESC, c.agent_id DESC LIMIT $4`,
      [companyId, after?.certifiedAt ?? null, after?.agentId ?? null, limit],
    );
  }

  /** Those of `agentIds` the company certified (any order). */
  amongAgents(
    em: EntityManager,
    companyId: string,
    agentIds: string[],
  ): Promise<CertifiedAgentRow[]> {
    return em.query(
      `SELECT ${CERTIFIED_AGENT}
        WHERE c.company_id = $1 AND c.agent_id = ANY ($2::uuid[])`,
      [companyId, agentIds],
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
