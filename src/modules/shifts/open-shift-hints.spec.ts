import type { AgentQualifications } from './eligibility';
import { openShiftsHints } from './open-shift-hints';
import type { OpenShiftCountsRow } from './open-shifts.repository';

const agent = (over: Partial<AgentQualifications> = {}): AgentQualifications => ({
  suspended: false,
  languages: ['en'],
  skills: new Map([['billing', 3]]),
  certifiedBy: new Set(),
  ...over,
});

const none: OpenShiftCountsRow = {
  open: 0,
  held: 0,
  not_eligible: 0,
  language_only: 0,
  skill_only: 0,
  certification_only: 0,
  quality_only: 0,
  eligible_full: 0,
};

describe('openShiftsHints', () => {
  it('names what the profile lacks, and that nothing is open', () => {
    const hints = openShiftsHints(agent({ languages: [], skills: new Map() }), none, false);
    expect(hints.map((h) => h.code)).toEqual(['NO_LANGUAGES', 'NO_SKILLS', 'NO_OPEN_SHIFTS']);
    expect(hints[2].message).toBe('No shift with a free seat is open for claims right now');
    expect(openShiftsHints(agent(), none, true)[0].message).toBe(
      'No shift is open for claims right now',
    );
  });

  it('counts, in the singular and the plural', () => {
    const hints = openShiftsHints(
      agent(),
      { ...none, open: 3, not_eligible: 1, language_only: 1, held: 2, eligible_full: 1 },
      false,
    );
    expect(hints.map((h) => [h.code, h.count, h.message])).toEqual([
      ['NOT_ELIGIBLE', 1, '1 shift is open for claims, none that you are eligible for'],
      ['MISSING_LANGUAGE', 1, '1 of them needs only a language your profile does not list'],
      [
        'ALREADY_HELD',
        2,
        'You already hold a seat on 2 shifts open for claims; those are not listed (GET /v1/agents/me/claims)',
      ],
      [
        'ELIGIBLE_FULL',
        1,
        '1 shift you are eligible for is full: list it with includeFull=true and join a waitlist',
      ],
    ]);
  });

  it('does not point to full shifts when they are listed already', () => {
    const hints = openShiftsHints(agent(), { ...none, open: 1, held: 1, eligible_full: 2 }, true);
    expect(hints.map((h) => h.code)).toEqual(['ALREADY_HELD']);
  });

  it('names shifts that need only a higher quality score', () => {
    const hints = openShiftsHints(
      agent(),
      { ...none, open: 2, not_eligible: 2, quality_only: 2 },
      false,
    );
    expect(hints.map((h) => [h.code, h.count, h.message])).toEqual([
      ['NOT_ELIGIBLE', 2, '2 shifts are open for claims, none that you are eligible for'],
      [
        'QUALITY_TOO_LOW',
        2,
        '2 of them need only a higher quality score (a minimum, or early access for the best-rated agents until it opens to all)',
      ],
    ]);
  });
});
