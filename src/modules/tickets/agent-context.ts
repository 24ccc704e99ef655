import { EntityManager } from 'typeorm';
import { DomainError } from '../../common/errors/domain-error';
import { AgentQualifications } from '../shifts/eligibility';

export interface LiveShift {
  shiftId: string;
  companyId: string;
  companyName: string;
  endsAt: Date;
  requiresCertification: boolean;
  rateAmountMinor: number;
  rateCurrency: string;
}

export interface AgentContext extends AgentQualifications {
  agentId: string;
  skillCodes: string[];
  skillLevels: number[];
  maxConcurrentTickets: number;
  activeTickets: number;
  /** The shift the agent is checked in on right now. Seats cannot overlap, so at most one. */
  live: LiveShift | null;
}

/**
 * Everything matching needs to know about an agent, read in the claim's transaction. With
 * `lock`, the agent row is locked first, so concurrent claims by one agent queue up and the
 * concurrent-ticket limit holds.
 */
export async function loadAgentContext(
  em: EntityManager,
  agentId: string,
  lock: boolean,
): Promise<AgentContext> {
  const [agent]: {
    suspended: boolean;
    languages: string[];
    max_concurrent_tickets: number;
  }[] = await em.query(
    `SELECT suspended_at IS NOT NULL AS suspended, languages, max_concurrent_tickets
       FROM agents WHERE user_id = $1 ${lock ? 'FOR UPDATE' : ''}`,
    [agentId],
  );
  if (!agent) throw DomainError.notFound('Agent');
  const skills: { skill: string; level: number }[] = await em.query(
    'SELECT skill, level FROM agent_skills WHERE agent_id = $1 ORDER BY skill',
    [agentId],
  );
  const [{ active }] = await em.query(
    `SELECT count(*)::int AS active FROM ticket_claims WHERE agent_id = $1 AND status = 'active'`,
    [agentId],
  );
  const [live]: {
    shift_id: string;
    company_id: string;
    company_name: string;
    ends_at: Date;
    requires_certification: boolean;
    rate_amount_minor: string;
    rate_currency: string;
    certified: boolean;
  }[] = await em.query(
    `SELECT s.id AS shift_id, s.company_id, co.name AS company_name, s.ends_at,
            s.requires_certification, s.rate_amount_minor, s.rate_currency,
            EXISTS (SELECT 1 FROM certifications ce
                     WHERE ce.company_id = s.company_id AND ce.agent_id = c.agent_id) AS certified
       FROM shift_claims c
       JOIN shifts s ON s.id = c.shift_id
       JOIN companies co ON co.id = s.company_id
      WHERE c.agent_id = $1 AND c.status = 'checked_in' AND s.status = 'scheduled'
        AND s.starts_at <= now() AND s.ends_at > now()
      LIMIT 1`,
    [agentId],
  );
  return {
    agentId,
    suspended: agent.suspended,
    languages: agent.languages,
    skills: new Map(skills.map((s) => [s.skill, s.level])),
    skillCodes: skills.map((s) => s.skill),
    skillLevels: skills.map((s) => s.level),
    certifiedBy: new Set(live?.certified ? [live.company_id] : []),
    maxConcurrentTickets: agent.max_concurrent_tickets,
    activeTickets: active,
    live: live
      ? {
          shiftId: live.shift_id,
          companyId: live.company_id,
          companyName: live.company_name,
          endsAt: live.ends_at,
          requiresCertification: live.requires_certification,
          rateAmountMinor: Number(live.rate_amount_minor),
          rateCurrency: live.rate_currency,
        }
      : null,
  };
}
