/**
 * What the bots escalate: each planned ticket has its company, a send time relative to the
 * shift start (a backlog that piles up before it, then a stream during it) and a body built
 * from the templates. Built up front from the seeded PRNG, so a seed always sends the same day.
 */
import type { Schemas } from '../../src/client/client';
import { CompanyKey, CompanyPlan } from './cast';
import { Rng } from './random';
import { NORTHWIND_SHARE } from './scale';
import { TOPICS } from './ticket-templates';

export type Priority = 'low' | 'normal' | 'high' | 'urgent';

export type Escalation = Schemas['CreateEscalationDto'];

export interface PlannedTicket {
  company: CompanyKey;
  /** Sent before the shift starts (the overnight pile) or during it. */
  phase: 'backlog' | 'live';
  /** 0–1: where in its phase it is sent. */
  at: number;
  kind: TicketKind;
  /** Builds the body at send time (the transcript is stamped just before then). */
  body: (now: Date) => Escalation;
}

/**
 * regular: any skill, language and level up to 3; hard: the hard skill at level 5 (breaches,
 * then relaxed to 4); specialist: fraud at 3 (the certified team); common: English, one of
 * the English desk's own skills at level 1–2, so every colleague on that desk can take it;
 * offered: the same for the push desk (its language and skills), so that one of its agents can
 * decline an offer a colleague then takes.
 */
export type TicketKind = 'regular' | 'hard' | 'specialist' | 'common' | 'offered';

const BACKLOG_SHARE = 0.2;
const SHORT_SLA_SHARE = 0.1;
const HARD_SHARE = 0.02;
/** Per company, in the backlog: one for the agent who walks away, one for a release. */
const STORY_COMMON = 2;
/** For a push desk: one to decline, one more to accept (the desk's own story). */
const STORY_OFFERED = 2;

export function planTickets(rng: Rng, companies: CompanyPlan[], total: number): PlannedTicket[] {
  const nw = Math.ceil(total * NORTHWIND_SHARE);
  const perCompany = [nw, total - nw];
  const planned = companies.flatMap((company, ci) => {
    const n = perCompany[ci];
    // The story tickets are counted, not drawn by chance, so even a 20-ticket day has them: at
    // least one hard ticket, and the common ones waiting in the backlog when the shift starts.
    const order = rng.fork(`${company.key}-kinds`).shuffle(range(n));
    const hard = order.slice(0, Math.max(1, Math.round(n * HARD_SHARE)));
    const common = order.slice(hard.length, hard.length + STORY_COMMON);
    const offered = company.shifts.some((s) => s.routing === 'push')
      ? order.slice(hard.length + STORY_COMMON, hard.length + STORY_COMMON + STORY_OFFERED)
      : [];
    const kinds = new Map<number, TicketKind>([
      ...hard.map((i): [number, TicketKind] => [i, 'hard']),
      ...common.map((i): [number, TicketKind] => [i, 'common']),
      ...offered.map((i): [number, TicketKind] => [i, 'offered']),
    ]);
    // One hard ticket in the backlog breaches (and is relaxed) early in the shift.
    const early = new Set([hard[0], ...common]);
    return range(n).map((i) =>
      planOne(rng.fork(`${company.key}-${i}`), company, i, kinds.get(i), early.has(i)),
    );
  });
  // A fifth of the day piles up before the shift: the story tickets, and more by lot.
  const live = rng.fork('backlog').shuffle(planned.filter((t) => t.phase === 'live'));
  const backlog = planned.length - live.length;
  for (const t of live.slice(0, Math.max(0, Math.round(total * BACKLOG_SHARE) - backlog))) {
    t.phase = 'backlog';
  }
  return planned.sort((a, b) => phaseOrder(a) - phaseOrder(b));
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

const phaseOrder = (t: PlannedTicket) => (t.phase === 'backlog' ? 0 : 1) + t.at;

function planOne(
  rng: Rng,
  company: CompanyPlan,
  i: number,
  given: TicketKind | undefined,
  early: boolean,
): PlannedTicket {
  const kind: TicketKind =
    given ??
    rng.weighted<'regular' | 'specialist'>([
      ['regular', 100],
      ['specialist', company.specialistSkill ? 8 : 0],
    ]);
  const desk =
    kind === 'offered'
      ? company.shifts.find((s) => s.routing === 'push')!
      : company.shifts.find((s) => s.languages.includes('en'))!;
  const skill =
    kind === 'hard'
      ? company.hardSkill
      : kind === 'specialist'
        ? company.specialistSkill!
        : kind === 'common' || kind === 'offered'
          ? rng.pick(desk.requiredSkills).skill
          : rng.weighted(company.skillMix.filter(([s]) => s !== company.specialistSkill));
  // Hard, specialist and common tickets are for the English-speaking teams that cover them.
  const language =
    kind === 'regular'
      ? rng.weighted(company.languageMix)
      : kind === 'offered'
        ? desk.languages[0]
        : 'en';
  const priority = rng.weighted<Priority>([
    ['low', 15],
    ['normal', 50],
    ['high', 25],
    ['urgent', 10],
  ]);
  const level =
    kind === 'hard'
      ? 5
      : kind === 'specialist'
        ? 3
        : kind === 'common' || kind === 'offered'
          ? rng.int(1, 2)
          : rng.weighted([
              [1, 30],
              [2, 45],
              [3, 25],
            ]);
  const requiredSkills = [{ skill, minLevel: level }];
  const others = company.skillMix
    .map(([s]) => s)
    .filter((s) => s !== skill && s !== company.specialistSkill && s !== company.hardSkill);
  // A second skill at level 1 only: every team member holds every core skill at 1 or more, so
  // the primary skill's level alone decides who can take it (and someone always can).
  if (kind !== 'hard' && kind !== 'specialist' && rng.chance(0.25)) {
    requiredSkills.push({ skill: rng.pick(others), minLevel: 1 });
  }
  // A short claim deadline for some: those waiting in the backlog breach before the shift.
  const claimSlaSeconds =
    kind === 'hard' ? 30 : rng.chance(SHORT_SLA_SHARE) ? rng.int(30, 45) : undefined;
  const fill = filler(rng, company.key === 'northwind' ? 'NW' : 'BP');
  const topic = TOPICS[skill];
  const lines = topic.customer[language] ?? topic.customer.en;
  const subject = fill(rng.pick(topic.subjects));
  const turns = rng.int(1, 3);
  const attempts = rng.shuffle(topic.attempts).slice(0, rng.int(1, topic.attempts.length));
  const customerRef = `cust-${rng.int(10_000, 99_999)}`;
  const metadata = { orderRef: fill('{order}'), channel: rng.pick(['chat', 'email', 'app']) };
  const customerTexts = Array.from({ length: turns }, () => fill(rng.pick(lines)));
  const botTexts = Array.from({ length: turns }, () => fill(rng.pick(topic.bot)));
  const summary = fill(rng.pick(topic.summary));
  return {
    company: company.key,
    phase: early ? 'backlog' : 'live',
    at: rng.next(),
    kind,
    body: (now) => ({
      externalId: `${company.key}-conv-${String(i + 1).padStart(4, '0')}`,
      subject,
      summary,
      // Oldest first, a message every 40 s, ending just before the escalation.
      transcript: customerTexts.flatMap((text, t) => [
        { role: 'customer' as const, text, at: ago(now, (turns - t) * 80) },
        { role: 'bot' as const, text: botTexts[t], at: ago(now, (turns - t) * 80 - 40) },
      ]),
      botAttempts: attempts,
      requiredSkills,
      language,
      priority,
      ...(claimSlaSeconds !== undefined && { claimSlaSeconds }),
      customerRef,
      metadata,
    }),
  };
}

const ago = (now: Date, seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();

/** Fills the template placeholders with plausible values, fixed per ticket. */
function filler(rng: Rng, orderPrefix: string, order?: string): (template: string) => string {
  const values: Record<string, string> = {
    order: order ?? `${orderPrefix}-${rng.int(100_000, 999_999)}`,
    amount: `€${rng.int(9, 480)}.${String(rng.int(0, 99)).padStart(2, '0')}`,
    days: String(rng.int(3, 14)),
    card: String(rng.int(1000, 9999)),
    invoice: String(rng.int(20_000, 89_999)),
  };
  return (template) => template.replace(/\{(\w+)\}/g, (m, key: string) => values[key] ?? m);
}

/** An agent's resolution note for a ticket, naming the order the bot passed on. */
export function resolutionFor(rng: Rng, skill: string, orderRef: string | undefined): string {
  const fill = filler(rng, 'NW', orderRef);
  return fill(rng.pick(TOPICS[skill]?.resolutions ?? ['Resolved with the customer.']));
}
