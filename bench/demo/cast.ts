/**
 * Who takes part in the demo day: two companies with their shifts, and 30 agents (fewer on a
 * small day) whose skills and languages fit the shifts they will take. Everything comes from
 * the seeded PRNG, but is shaped so every kind of ticket the bots send has someone on shift who
 * can take it (except the few "hard" ones, which wait until the SLA timer relaxes them), and
 * that someone is never a trainee, who leaves early.
 */
import { Rng } from './random';

export type TeamKey = 'nw-en' | 'nw-es' | 'bp-en' | 'bp-de' | 'bp-fraud';
export type CompanyKey = 'northwind' | 'brightpay';

export interface SkillLevel {
  skill: string;
  level: number;
}

export interface ShiftPlan {
  team: TeamKey;
  title: string;
  seats: number;
  languages: string[];
  requiredSkills: { skill: string; minLevel: number }[];
  rateMinor: number;
  requiresCertification: boolean;
  /** pull: agents claim; push: the router offers each ticket to one agent (issue 15). */
  routing: 'pull' | 'push';
}

export interface CompanyPlan {
  key: CompanyKey;
  name: string;
  admin: { name: string; email: string };
  botName: string;
  /** Skills its tickets ask for, with how often. */
  skillMix: [string, number][];
  /** Customer languages, with how often. */
  languageMix: [string, number][];
  /** Asked for at level 5 by a few tickets; nobody on shift has more than 4. */
  hardSkill: string;
  /** Only the certified team holds this one at the level tickets need. */
  specialistSkill: string | null;
  shifts: ShiftPlan[];
}

/** How an agent's Stripe onboarding goes (decided on payday: see scenario.ts). */
export type OnboardingPlan = 'complete' | 'abandoned' | 'never';

export interface AgentPlan {
  index: number;
  name: string;
  email: string;
  team: TeamKey;
  company: CompanyKey;
  timeZone: string;
  languages: string[];
  skills: SkillLevel[];
  maxConcurrentTickets: number;
  pace: 'fast' | 'steady' | 'trainee';
  /** Think time per ticket, ms. */
  thinkMs: [number, number];
  /** Checks in this long after the shift starts (trainees come late). */
  lateByMs: number;
  /** Stops after this many resolutions and checks out (a short first day). */
  maxResolutions: number | null;
  releaseChance: number;
}

export interface Cast {
  companies: CompanyPlan[];
  agents: AgentPlan[];
  password: string;
}

export const TEAM_COMPANY: Record<TeamKey, CompanyKey> = {
  'nw-en': 'northwind',
  'nw-es': 'northwind',
  'bp-en': 'brightpay',
  'bp-de': 'brightpay',
  'bp-fraud': 'brightpay',
};

/** The full cast (30 agents); a smaller one keeps these proportions. */
const TEAM_SIZES: [TeamKey, number][] = [
  ['nw-en', 10],
  ['nw-es', 5],
  ['bp-en', 8],
  ['bp-de', 4],
  ['bp-fraud', 3],
];

/** Languages a team must speak, and the extra ones some of its members also speak. */
const TEAM_LANGUAGES: Record<TeamKey, { base: string[]; extra: [string[], number] }> = {
  'nw-en': { base: ['en'], extra: [['fr', 'pt', 'it', 'nl'], 0.3] },
  'nw-es': { base: ['es'], extra: [['en'], 0.7] },
  'bp-en': { base: ['en'], extra: [['fr', 'nl', 'pl'], 0.3] },
  'bp-de': { base: ['de'], extra: [['en'], 0.8] },
  'bp-fraud': { base: ['en'], extra: [['fr'], 0.2] },
};

const TIME_ZONES: Record<string, string[]> = {
  en: ['Europe/London', 'Europe/Dublin', 'Africa/Lagos', 'Asia/Manila', 'America/Toronto'],
  es: ['Europe/Madrid', 'America/Mexico_City', 'America/Bogota'],
  de: ['Europe/Berlin', 'Europe/Vienna', 'Europe/Zurich'],
};

const FIRST_NAMES = [
  'Maya',
  'Tomás',
  'Aisha',
  'Jonas',
  'Priya',
  'Lucas',
  'Chloé',
  'Kwame',
  'Sofia',
  'Mateo',
  'Hannah',
  'Yusuf',
  'Elena',
  'Ravi',
  'Greta',
  'Diego',
  'Nora',
  'Felix',
  'Amara',
  'Leon',
  'Inés',
  'Oskar',
  'Zara',
  'Paulo',
  'Mia',
  'Sven',
  'Lucía',
  'Omar',
  'Ada',
  'Bruno',
];
const LAST_INITIALS = 'ABCDEFGHJKLMNPRSTVW';
const SIDE_SKILLS = ['technical', 'onboarding', 'subscriptions', 'retention', 'privacy'];

export function companyPlans(runTag: string): CompanyPlan[] {
  return [
    {
      key: 'northwind',
      name: 'Northwind Outfitters',
      admin: { name: 'Ana', email: `ana.${runTag}@northwind.example` },
      botName: 'storefront assistant',
      skillMix: [
        ['shipping', 30],
        ['returns', 25],
        ['refunds', 20],
        ['order_changes', 15],
        ['complaints', 10],
      ],
      languageMix: [
        ['en', 70],
        ['es', 30],
      ],
      hardSkill: 'complaints',
      specialistSkill: null,
      shifts: [
        {
          team: 'nw-en',
          title: 'Orders & returns (EN)',
          seats: 10,
          languages: ['en'],
          requiredSkills: [
            { skill: 'returns', minLevel: 2 },
            { skill: 'shipping', minLevel: 2 },
          ],
          rateMinor: 300,
          requiresCertification: false,
          routing: 'pull',
        },
        {
          team: 'nw-es',
          title: 'Pedidos y devoluciones (ES)',
          seats: 6,
          languages: ['es'],
          requiredSkills: [{ skill: 'returns', minLevel: 2 }],
          rateMinor: 320,
          requiresCertification: false,
          // The Spanish desk takes its work as offers; the others claim it.
          routing: 'push',
        },
      ],
    },
    {
      key: 'brightpay',
      name: 'Brightpay',
      admin: { name: 'Ben', email: `ben.${runTag}@brightpay.example` },
      botName: 'in-app helper',
      skillMix: [
        ['billing', 30],
        ['payments', 30],
        ['account_access', 20],
        ['chargebacks', 12],
        ['fraud', 8],
      ],
      languageMix: [
        ['en', 75],
        ['de', 25],
      ],
      hardSkill: 'chargebacks',
      specialistSkill: 'fraud',
      shifts: [
        {
          team: 'bp-en',
          title: 'Payments desk (EN)',
          seats: 8,
          languages: ['en'],
          requiredSkills: [
            { skill: 'payments', minLevel: 2 },
            { skill: 'billing', minLevel: 2 },
          ],
          rateMinor: 450,
          requiresCertification: false,
          routing: 'pull',
        },
        {
          team: 'bp-de',
          title: 'Zahlungen (DE)',
          seats: 4,
          languages: ['de'],
          requiredSkills: [{ skill: 'payments', minLevel: 2 }],
          rateMinor: 480,
          requiresCertification: false,
          routing: 'pull',
        },
        {
          team: 'bp-fraud',
          title: 'Fraud review (certified)',
          seats: 3,
          languages: ['en'],
          requiredSkills: [{ skill: 'fraud', minLevel: 3 }],
          rateMinor: 650,
          requiresCertification: true,
          routing: 'pull',
        },
      ],
    },
  ];
}

export interface CastOptions {
  agents: number;
  /** A trainee's short first day: this many resolutions (from, to). */
  traineeResolutions: [number, number];
}

export function castDay(rng: Rng, runTag: string, options: CastOptions): Cast {
  const companies = companyPlans(runTag);
  const teams = rng.shuffle(
    teamSizes(options.agents).flatMap(([team, n]) => Array<TeamKey>(n).fill(team)),
  );
  const names = rng.shuffle(FIRST_NAMES);
  const agents = teams.map((team, i) =>
    agentPlan(rng.fork(`agent-${i}`), i, team, names[i], companies, runTag),
  );
  assignTrainees(rng.fork('roles'), agents, options.traineeResolutions);
  ensureCoverage(rng.fork('coverage'), agents, companies);
  return { companies, agents, password: `demo-day-${runTag}-password` };
}

/**
 * TEAM_SIZES scaled to `total` agents, each team at least one and the two English desks at
 * least three (a trainee and two colleagues who can take any common ticket the other gives up),
 * the push desk at least two (an offer declined by one goes to the other).
 */
const MIN_TEAM: Partial<Record<TeamKey, number>> = { 'nw-en': 3, 'bp-en': 3, 'nw-es': 2 };

function teamSizes(total: number): [TeamKey, number][] {
  const full = TEAM_SIZES.reduce((sum, [, n]) => sum + n, 0);
  const sizes = TEAM_SIZES.map(([team, n]): [TeamKey, number] => [
    team,
    Math.max(MIN_TEAM[team] ?? 1, Math.round((n * total) / full)),
  ]);
  // Rounding may miss the total by one or two: the biggest desk absorbs it.
  sizes[0][1] += total - sizes.reduce((sum, [, n]) => sum + n, 0);
  return sizes;
}

function agentPlan(
  rng: Rng,
  index: number,
  team: TeamKey,
  firstName: string,
  companies: CompanyPlan[],
  runTag: string,
): AgentPlan {
  const company = companies.find((c) => c.key === TEAM_COMPANY[team])!;
  const shift = company.shifts.find((s) => s.team === team)!;
  const { base, extra } = TEAM_LANGUAGES[team];
  const languages = [...base];
  if (rng.chance(extra[1])) languages.push(rng.pick(extra[0]));
  const name = `${firstName} ${rng.pick([...LAST_INITIALS])}.`;
  const slug = firstName
    .normalize('NFD')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();
  const pace = rng.weighted<'fast' | 'steady'>([
    ['fast', 1],
    ['steady', 2],
  ]);
  return {
    index,
    name,
    email: `${slug}.${String(index + 1).padStart(2, '0')}.${runTag}@agents.example`,
    team,
    company: company.key,
    timeZone: rng.pick(TIME_ZONES[base[0]]),
    languages,
    skills: agentSkills(rng, company, shift, team),
    maxConcurrentTickets: rng.int(2, 4),
    pace,
    thinkMs: pace === 'fast' ? [1000, 2200] : [1600, 3400],
    lateByMs: 0,
    maxResolutions: null,
    releaseChance: 0.06,
  };
}

/** Every core skill of the company (the specialist one only for its team), at or above the
 * shift's minimum; the hard skill never above 4; now and then a side skill. */
function agentSkills(rng: Rng, company: CompanyPlan, shift: ShiftPlan, team: TeamKey) {
  const skills: SkillLevel[] = [];
  for (const [skill] of company.skillMix) {
    const minimum = shift.requiredSkills.find((r) => r.skill === skill)?.minLevel ?? 1;
    if (skill === company.specialistSkill && team !== 'bp-fraud') {
      // Some generalists know a little about fraud, never enough for a fraud ticket.
      if (rng.chance(0.3)) skills.push({ skill, level: rng.int(1, 2) });
      continue;
    }
    let level = Math.max(minimum, rng.int(1, 4));
    if (skill === company.hardSkill) level = Math.min(level, 4);
    skills.push({ skill, level });
  }
  if (rng.chance(0.4)) skills.push({ skill: rng.pick(SIDE_SKILLS), level: rng.int(1, 3) });
  return skills;
}

/** Each team covers level 3 of every core skill, and its English speakers level 4 of the hard
 * skill, so every ticket (the hard ones after relaxation) has someone who can take it; that
 * someone stays all day (not a trainee). */
function ensureCoverage(rng: Rng, agents: AgentPlan[], companies: CompanyPlan[]): void {
  for (const team of Object.keys(TEAM_COMPANY) as TeamKey[]) {
    const members = agents.filter((a) => a.team === team && a.pace !== 'trainee');
    const company = companies.find((c) => c.key === TEAM_COMPANY[team])!;
    for (const [skill] of company.skillMix) {
      const holders = members.flatMap((a) => a.skills.filter((s) => s.skill === skill));
      if (holders.length === 0) continue; // the specialist skill outside its team
      const target = skill === company.hardSkill && team.endsWith('-en') ? 4 : 3;
      if (Math.max(...holders.map((s) => s.level)) < target) rng.pick(holders).level = target;
    }
  }
}

/**
 * Two trainees on a short first day, one on each English desk: they check in late and leave
 * after a few tickets (on payday their lines are held below the minimum). The other roles (who
 * walks away from a ticket, who gives one back, who has not set up payouts) go to whoever is
 * in the right place when it happens: see work.ts and scenario.ts.
 */
function assignTrainees(rng: Rng, agents: AgentPlan[], resolutions: [number, number]): void {
  for (const desk of ['nw-en', 'bp-en'] as TeamKey[]) {
    const trainee = rng.pick(agents.filter((a) => a.team === desk));
    trainee.pace = 'trainee';
    trainee.thinkMs = [4000, 7000];
    trainee.lateByMs = rng.int(15_000, 25_000);
    trainee.maxResolutions = rng.int(resolutions[0], resolutions[1]);
    trainee.releaseChance = 0;
  }
}

/** Whether an agent (as planned) may take a ticket: its company, language and skill levels. */
export function canTake(
  agent: AgentPlan,
  ticket: {
    company: CompanyKey;
    language: string;
    requiredSkills: { skill: string; minLevel: number }[];
  },
): boolean {
  return (
    agent.company === ticket.company &&
    agent.languages.includes(ticket.language) &&
    ticket.requiredSkills.every((r) =>
      agent.skills.some((s) => s.skill === r.skill && s.level >= r.minLevel),
    )
  );
}
