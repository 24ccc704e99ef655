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
  // NO KEY UPDATE: claims by one agent queue up, but rows that merely reference the agent
  // (cooldowns, claims written by other transactions) can still be inserted, so a release
  // holding a ticket lock never waits on us while we wait on its ticket.
  // The lock is its own statement: READ COMMITTED gives the next statement a fresh snapshot,
  // so the active-ticket count below sees claims committed while we waited. (Counted in the
  // locking statement itself, it would come from the snapshot taken before the wait.)
  if (lock) await em.query('SELECT 1 FROM agents WHERE user_id = $1 FOR NO KEY UPDATE', [agentId]);
  // Then one round trip for the rest: claim-next is the hottest path in the system.
  const [row]: {
    suspended: boolean;
    languages: string[];
    max_concurrent_tickets: number;
    skill_codes: string[];
    skill_levels: number[];
    active: number;
    shift_id: string | null;
    company_id: string;
    company_name: string;
    ends_at: Date;
    requires_certification: boolean;
    rate_amount_minor: string;
    rate_currency: string;
    certified: boolean;
  }[] = await em.query(
    `SELECT a.suspended_at IS NOT NULL AS suspended, a.languages, a.max_concurrent_tickets,
            coalesce(sk.codes, '{}') AS skill_codes, coalesce(sk.levels, '{}') AS skill_levels,
            (SELECT count(*)::int FROM ticket_claims tc
              WHERE tc.agent_id = a.user_id AND tc.status = 'active') AS active,
            live.*
       FROM agents a
       LEFT JOIN LATERAL (
         SELECT array_agg(skill ORDER BY skill) AS codes, array_agg(level::int ORDER BY skill) AS levels
           FROM agent_skills WHERE agent_id = a.user_id) sk ON true
       LEFT JOIN LATERAL (
         SELECT s.id AS shift_id, s.company_id, co.name AS company_name, s.ends_at,
                s.requires_certification, s.rate_amount_minor, s.rate_currency,
                EXISTS (SELECT 1 FROM certifications ce
                         WHERE ce.company_id = s.company_id AND ce.agent_id = c.agent_id) AS certified
           FROM shift_claims c
           JOIN shifts s ON s.id = c.shift_id
           JOIN companies co ON co.id = s.company_id
          WHERE c.agent_id = a.user_id AND c.status = 'checked_in' AND s.status = 'scheduled'
            AND s.starts_at <= now() AND s.ends_at > now()
          LIMIT 1) live ON true
      WHERE a.user_id = $1`,
    [agentId],
  );
  if (!row) throw DomainError.notFound('Agent');
  return {
    agentId,
    suspended: row.suspended,
    languages: row.languages,
    skills: new Map(row.skill_codes.map((code, i) => [code, row.skill_levels[i]])),
    skillCodes: row.skill_codes,
    skillLevels: row.skill_levels,
    certifiedBy: new Set(row.shift_id && row.certified ? [row.company_id] : []),
    maxConcurrentTickets: row.max_concurrent_tickets,
    activeTickets: row.active,
    live: row.shift_id
      ? {
          shiftId: row.shift_id,
          companyId: row.company_id,
          companyName: row.company_name,
          endsAt: row.ends_at,
          requiresCertification: row.requires_certification,
          rateAmountMinor: Number(row.rate_amount_minor),
          rateCurrency: row.rate_currency,
        }
      : null,
  };
}
