import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { AgentQualifications } from './eligibility';
import { ACTIVE_CLAIM_STATUSES } from './shift-rules';
import { OpenShiftRow } from './shift.rows';

export interface OpenShiftsPage {
  includeFull: boolean;
  /** The keyset cursor: starts_at and id of the last shift of the previous page. */
  after: string[] | null;
  limit: number;
}

/**
 * Upcoming shifts an agent may claim, soonest first. The WHERE clause is the SQL twin of
 * ineligibilityReasons(), with the agent's qualifications (from the agents module) as
 * parameters: every required skill at its level, every language, certified when required (a
 * suspended agent is turned away before this query). Shifts the agent already holds a seat on
 * are left out.
 */
const OPEN_SHIFTS_SQL = `
  SELECT s.id, s.starts_at, s.company_id
    FROM shifts s
   WHERE s.status = 'scheduled' AND s.starts_at > now()
     AND ($2 OR s.seats_taken < s.seats)
     AND s.languages <@ $3::text[]
     AND NOT EXISTS (
           SELECT 1 FROM shift_required_skills r
             LEFT JOIN unnest($4::text[], $5::int[]) AS k(skill, level) ON k.skill = r.skill
            WHERE r.shift_id = s.id AND (k.level IS NULL OR k.level < r.min_level))
     AND (NOT s.requires_certification OR s.company_id = ANY($6::uuid[]))
     AND NOT EXISTS (
           SELECT 1 FROM shift_claims h WHERE h.shift_id = s.id AND h.agent_id = $1
              AND h.status = ANY($7))
     AND ($8::timestamptz IS NULL OR (s.starts_at, s.id) > ($8::timestamptz, $9::uuid))
   ORDER BY s.starts_at, s.id
   LIMIT $10`;

/** The open-shifts listing over shifts, their required skills and claims. */
@Injectable()
export class OpenShiftsRepository {
  pageFor(
    em: EntityManager,
    agentId: string,
    agent: AgentQualifications,
    page: OpenShiftsPage,
  ): Promise<OpenShiftRow[]> {
    return em.query(OPEN_SHIFTS_SQL, [
      agentId,
      page.includeFull,
      agent.languages,
      [...agent.skills.keys()],
      [...agent.skills.values()],
      [...agent.certifiedBy],
      ACTIVE_CLAIM_STATUSES,
      page.after?.[0] ?? null,
      page.after?.[1] ?? null,
      page.limit,
    ]);
  }
}
