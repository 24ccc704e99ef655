import {
  AgentQualifications,
  ineligibilityReasons,
  QualityGates,
  seatIneligibilityReasons,
  ShiftRequirements,
} from './eligibility';

const shift: ShiftRequirements & QualityGates = {
  companyId: 'acme',
  requiredSkills: [
    { skill: 'billing', minLevel: 3 },
    { skill: 'fraud', minLevel: 1 },
  ],
  languages: ['en', 'es'],
  requiresCertification: true,
  minQuality: null,
  earlyAccessHours: null,
  earlyAccessMinQuality: null,
  createdAt: new Date('2030-05-01T10:00:00Z'),
};

const qualified = (): AgentQualifications & { quality: number } => ({
  quality: 0.7,
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

  it('needs the minimum quality, compared at four decimals (equal is enough)', () => {
    const strict = { ...shift, minQuality: 0.75 };
    expect(
      seatIneligibilityReasons({ ...qualified(), quality: 0.74996 }, strict, new Date()),
    ).toEqual([]);
    expect(
      seatIneligibilityReasons({ ...qualified(), quality: 0.7499 }, strict, new Date()),
    ).toEqual([{ code: 'QUALITY_TOO_LOW', minQuality: 0.75, quality: 0.7499 }]);
  });

  it('keeps an early-access shift to agents at its score until it opens to all', () => {
    const early = { ...shift, earlyAccessHours: 24, earlyAccessMinQuality: 0.8 };
    const during = new Date('2030-05-02T09:59:59Z');
    const after = new Date('2030-05-02T10:00:00Z');
    expect(seatIneligibilityReasons(qualified(), early, during)).toEqual([
      {
        code: 'EARLY_ACCESS',
        minQuality: 0.8,
        quality: 0.7,
        openToAllAt: new Date('2030-05-02T10:00:00Z'),
      },
    ]);
    expect(seatIneligibilityReasons(qualified(), early, after)).toEqual([]);
    expect(seatIneligibilityReasons({ ...qualified(), quality: 0.8 }, early, during)).toEqual([]);
  });
});
