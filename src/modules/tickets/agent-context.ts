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
  const [row]: AgentContextRow[] = await em.query('SELECT * FROM agent_context($1)', [agentId]);
  if (!row) throw DomainError.notFound('Agent');
  return agentContextFrom(agentId, row);
}

/** A row of the SQL function agent_context (migration ClaimInOneCall), as pg or as JSON. */
export interface AgentContextRow {
  suspended: boolean;
  languages: string[];
  max_concurrent_tickets: number;
  skill_codes: string[];
  skill_levels: number[];
  active: number;
  shift_id: string | null;
  company_id: string;
  company_name: string;
  ends_at: Date | string;
  requires_certification: boolean;
  rate_amount_minor: string | number;
  rate_currency: string;
  certified: boolean;
}

export function agentContextFrom(agentId: string, row: AgentContextRow): AgentContext {
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
          endsAt: new Date(row.ends_at),
          requiresCertification: row.requires_certification,
          rateAmountMinor: Number(row.rate_amount_minor),
          rateCurrency: row.rate_currency,
        }
      : null,
  };
}
