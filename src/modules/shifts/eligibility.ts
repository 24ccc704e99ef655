/** Why an agent may not take a seat on a shift; an empty list means eligible. */
export type IneligibilityReason =
  | { code: 'SUSPENDED' }
  | { code: 'MISSING_SKILL'; skill: string; minLevel: number }
  | { code: 'SKILL_LEVEL_TOO_LOW'; skill: string; minLevel: number; level: number }
  | { code: 'MISSING_LANGUAGE'; language: string }
  | { code: 'NOT_CERTIFIED'; companyId: string };

export interface AgentQualifications {
  suspended: boolean;
  languages: string[];
  skills: Map<string, number>;
  certifiedBy: Set<string>;
}

export interface ShiftRequirements {
  companyId: string;
  requiredSkills: { skill: string; minLevel: number }[];
  /** The agent must speak every language listed. */
  languages: string[];
  requiresCertification: boolean;
}

/**
 * The eligibility rule, in one place. The open-shifts query mirrors it in SQL; tests hold the
 * two to the same matrix.
 */
export function ineligibilityReasons(
  agent: AgentQualifications,
  shift: ShiftRequirements,
): IneligibilityReason[] {
  const reasons: IneligibilityReason[] = [];
  if (agent.suspended) reasons.push({ code: 'SUSPENDED' });
  for (const { skill, minLevel } of shift.requiredSkills) {
    const level = agent.skills.get(skill);
    if (level === undefined) reasons.push({ code: 'MISSING_SKILL', skill, minLevel });
    else if (level < minLevel)
      reasons.push({ code: 'SKILL_LEVEL_TOO_LOW', skill, minLevel, level });
  }
  for (const language of shift.languages) {
    if (!agent.languages.includes(language)) reasons.push({ code: 'MISSING_LANGUAGE', language });
  }
  if (shift.requiresCertification && !agent.certifiedBy.has(shift.companyId)) {
    reasons.push({ code: 'NOT_CERTIFIED', companyId: shift.companyId });
  }
  return reasons;
}
