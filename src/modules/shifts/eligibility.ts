/** Why an agent may not take a seat on a shift; an empty list means eligible. */
export type IneligibilityReason =
  | { code: 'SUSPENDED' }
  | { code: 'MISSING_SKILL'; skill: string; minLevel: number }
  | { code: 'SKILL_LEVEL_TOO_LOW'; skill: string; minLevel: number; level: number }
  | { code: 'MISSING_LANGUAGE'; language: string }
  | { code: 'NOT_CERTIFIED'; companyId: string }
  | { code: 'QUALITY_TOO_LOW'; minQuality: number; quality: number }
  | { code: 'EARLY_ACCESS'; minQuality: number; quality: number; openToAllAt: Date };

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

/** A shift's quality gates (issue 19): they apply to seats, not to tickets. */
export interface QualityGates {
  /** Agents below this quality score may not take a seat (null: any score). */
  minQuality: number | null;
  /** For this many hours after createdAt only agents at earlyAccessMinQuality or above may. */
  earlyAccessHours: number | null;
  earlyAccessMinQuality: number | null;
  createdAt: Date;
}

/** When a shift with early access opens to every agent (null: it always was). */
export function openToAllAt(shift: QualityGates): Date | null {
  return shift.earlyAccessHours === null
    ? null
    : new Date(shift.createdAt.getTime() + shift.earlyAccessHours * 3_600_000);
}

/**
 * The eligibility rule, in one place (the agent's quality score from the quality module). The open-shifts query mirrors it in SQL; tests hold the
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

/**
 * A score as the quality gates compare it: at the four decimals a shift stores. The open-shifts
 * list (SQL) takes it so, or a score of 0.69996 would claim a 0.7 shift the list hides.
 */
export const comparableQuality = (score: number): number => Math.round(score * 10_000) / 10_000;

/** A seat's rule: the requirements above and the shift's quality gates, for a scored agent. */
export function seatIneligibilityReasons(
  agent: AgentQualifications & { quality: number },
  shift: ShiftRequirements & QualityGates,
  now: Date,
): IneligibilityReason[] {
  const reasons = ineligibilityReasons(agent, shift);
  const quality = comparableQuality(agent.quality);
  if (shift.minQuality !== null && quality < shift.minQuality) {
    reasons.push({ code: 'QUALITY_TOO_LOW', minQuality: shift.minQuality, quality });
  }
  const allAt = openToAllAt(shift);
  if (allAt && allAt > now && quality < shift.earlyAccessMinQuality!) {
    reasons.push({
      code: 'EARLY_ACCESS',
      minQuality: shift.earlyAccessMinQuality!,
      quality,
      openToAllAt: allAt,
    });
  }
  return reasons;
}
