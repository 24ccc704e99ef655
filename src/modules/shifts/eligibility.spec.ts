import { AgentQualifications, ineligibilityReasons, ShiftRequirements } from './eligibility';

const shift: ShiftRequirements = {
  companyId: 'acme',
  requiredSkills: [
    { skill: 'billing', minLevel: 3 },
    { skill: 'fraud', minLevel: 1 },
  ],
  languages: ['en', 'es'],
  requiresCertification: true,
};

const qualified = (): AgentQualifications => ({
  suspended: false,
  languages: ['en', 'es', 'pt'],
  skills: new Map([
    ['billing', 3],
    ['fraud', 5],
  ]),
  certifiedBy: new Set(['acme']),
});

describe('ineligibilityReasons', () => {
  it('is empty for an agent meeting every requirement (levels at the minimum count)', () => {
    expect(ineligibilityReasons(qualified(), shift)).toEqual([]);
  });

  it('needs every language, not just one', () => {
    const agent = { ...qualified(), languages: ['en'] };
    expect(ineligibilityReasons(agent, shift)).toEqual([
      { code: 'MISSING_LANGUAGE', language: 'es' },
    ]);
  });

  it('names each missing or too-low skill', () => {
    const agent = { ...qualified(), skills: new Map([['billing', 2]]) };
    expect(ineligibilityReasons(agent, shift)).toEqual([
      { code: 'SKILL_LEVEL_TOO_LOW', skill: 'billing', minLevel: 3, level: 2 },
      { code: 'MISSING_SKILL', skill: 'fraud', minLevel: 1 },
    ]);
  });

  it('needs the shift company’s certification only when the shift requires it', () => {
    const agent = { ...qualified(), certifiedBy: new Set(['globex']) };
    expect(ineligibilityReasons(agent, shift)).toEqual([
      { code: 'NOT_CERTIFIED', companyId: 'acme' },
    ]);
    expect(ineligibilityReasons(agent, { ...shift, requiresCertification: false })).toEqual([]);
  });

  it('refuses a suspended agent whatever else holds', () => {
    expect(ineligibilityReasons({ ...qualified(), suspended: true }, shift)).toEqual([
      { code: 'SUSPENDED' },
    ]);
  });
});
