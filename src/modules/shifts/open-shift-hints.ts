import type { AgentQualifications } from './eligibility';
import type { OpenShiftCountsRow } from './open-shifts.repository';

/**
 * Why an agent's first page of open shifts is empty (issue 13: a new agent saw an empty list
 * and no reason). Codes are stable API, in the order hints are given; messages are for people.
 */
export const OPEN_SHIFTS_HINT_CODES = [
  /** The agent is suspended: nothing is open to it (the only hint then). */
  'SUSPENDED',
  /** The profile lists no language: shifts that require one are hidden. */
  'NO_LANGUAGES',
  /** The agent has no skills: shifts that require one are hidden. */
  'NO_SKILLS',
  /** No shift, of any company, is open for claims (with a free seat, unless includeFull). */
  'NO_OPEN_SHIFTS',
  /** `count` shifts are open, the agent is eligible for none of them. */
  'NOT_ELIGIBLE',
  /** Of those, `count` miss only a language the agent does not list. */
  'MISSING_LANGUAGE',
  /** Of those, `count` miss only a skill or a skill level. */
  'MISSING_SKILL',
  /** Of those, `count` miss only the company's certification. */
  'NOT_CERTIFIED',
  /** Of those, `count` miss only a higher quality score (the shift's minimum or early access). */
  'QUALITY_TOO_LOW',
  /** `count` open shifts are left out because the agent already holds a seat on them. */
  'ALREADY_HELD',
  /** `count` shifts the agent is eligible for are full: includeFull=true lists them (waitlist). */
  'ELIGIBLE_FULL',
] as const;

export type OpenShiftsHintCode = (typeof OPEN_SHIFTS_HINT_CODES)[number];

export interface OpenShiftsHint {
  code: OpenShiftsHintCode;
  message: string;
  count: number | null;
}

const shifts = (n: number) => (n === 1 ? '1 shift' : `${n} shifts`);
const isAre = (n: number) => (n === 1 ? 'is' : 'are');
const needs = (n: number) => (n === 1 ? '1 of them needs' : `${n} of them need`);

export const SUSPENDED_HINTS: readonly OpenShiftsHint[] = [
  {
    code: 'SUSPENDED',
    message: 'Your account is suspended: no shift is open to you until an admin reinstates it',
    count: null,
  },
];

/** The hints for an empty first page, from the agent's qualifications and the counts. */
export function openShiftsHints(
  agent: AgentQualifications,
  c: OpenShiftCountsRow,
  includeFull: boolean,
): OpenShiftsHint[] {
  const hints: OpenShiftsHint[] = [];
  const add = (code: OpenShiftsHintCode, message: string, count: number | null = null) =>
    hints.push({ code, message, count });
  if (agent.languages.length === 0) {
    add(
      'NO_LANGUAGES',
      'Your profile lists no languages: shifts that require one are hidden ' +
        '(PATCH /v1/agents/me/profile with "languages")',
    );
  }
  if (agent.skills.size === 0) {
    add(
      'NO_SKILLS',
      'You have no skills: shifts that require one are hidden (PUT /v1/agents/me/skills)',
    );
  }
  if (c.open === 0) {
    add(
      'NO_OPEN_SHIFTS',
      includeFull
        ? 'No shift is open for claims right now'
        : 'No shift with a free seat is open for claims right now',
    );
  }
  if (c.not_eligible > 0) {
    add(
      'NOT_ELIGIBLE',
      `${shifts(c.not_eligible)} ${isAre(c.not_eligible)} open for claims, ` +
        'none that you are eligible for',
      c.not_eligible,
    );
    if (c.language_only > 0) {
      add(
        'MISSING_LANGUAGE',
        `${needs(c.language_only)} only a language your profile does not list`,
        c.language_only,
      );
    }
    if (c.skill_only > 0) {
      add(
        'MISSING_SKILL',
        `${needs(c.skill_only)} only a skill you lack or a higher skill level`,
        c.skill_only,
      );
    }
    if (c.certification_only > 0) {
      add(
        'NOT_CERTIFIED',
        `${needs(c.certification_only)} only the company's certification`,
        c.certification_only,
      );
    }
    if (c.quality_only > 0) {
      add(
        'QUALITY_TOO_LOW',
        `${needs(c.quality_only)} only a higher quality score (a minimum, or early access ` +
          'for the best-rated agents until it opens to all)',
        c.quality_only,
      );
    }
  }
  if (c.held > 0) {
    add(
      'ALREADY_HELD',
      `You already hold a seat on ${shifts(c.held)} open for claims; ` +
        'those are not listed (GET /v1/agents/me/claims)',
      c.held,
    );
  }
  if (!includeFull && c.eligible_full > 0) {
    add(
      'ELIGIBLE_FULL',
      `${shifts(c.eligible_full)} you are eligible for ${isAre(c.eligible_full)} full: ` +
        `list ${c.eligible_full === 1 ? 'it' : 'them'} with includeFull=true and join a waitlist`,
      c.eligible_full,
    );
  }
  return hints;
}
