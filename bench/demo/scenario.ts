/**
 * The day, chapter by chapter: companies open, agents get ready, the shift is worked, money is
 * held (meanwhile the agents set up payouts) then paid. Each chapter narrates what happens; any
 * failed step throws StepFailed. Timings come from the day's scale (scale.ts).
 */
import { inParallel } from './api-client';
import { checkIn, checkOut, onboardStripe, signUpAgent, takeSeat } from './agents';
import { reviewResolutions, Schedule } from './bots';
import { Cast, OnboardingPlan } from './cast';
import { certify, postShifts, registerWebhook, signUpCompany } from './companies';
import {
  chapter,
  detail,
  endProgress,
  money,
  progress,
  say,
  sleep,
  stamp,
  elapsedMs,
} from './narrate';
import { Rng } from './random';
import { AgentSession, Day, serverNow } from './state';
import { WebhookEvent, WebhookReceiver } from './webhooks';
import { workOffers } from './offers';
import { desk, workShift } from './work';

const SHIFT_LENGTH_MS = 30 * 60_000; // at least 15 minutes by the API's rules

export async function openForBusiness(day: Day, cast: Cast, receiver: WebhookReceiver | null) {
  chapter('Morning: two companies open for business');
  for (const plan of cast.companies) {
    const company = await signUpCompany(day.api, plan, cast.password);
    day.companies.set(plan.key, company);
    if (receiver) {
      await registerWebhook(day.api, company, receiver.urlFor(plan.key));
      receiver.setSecret(plan.key, company.webhookSecret!);
    }
  }
  if (receiver) say('Both register a webhook endpoint (signed events, verified by the receiver)');
  // Shifts must start in the future; the lead leaves time to get ready (check-in is open).
  const start = Math.ceil((serverNow(day).getTime() + day.scale.shiftLeadMs) / 1000) * 1000;
  day.shiftStartsAt = new Date(start);
  say(`They post shifts for today, starting ${day.shiftStartsAt.toISOString().slice(11, 19)} UTC:`);
  for (const company of day.companies.values()) {
    await postShifts(day.api, company, day.shiftStartsAt, new Date(start + SHIFT_LENGTH_MS));
  }
}

/** Local wall-clock time of the shift start (the server's clock may differ from ours). */
export const localStart = (day: Day) => day.shiftStartsAt.getTime() - day.clockSkewMs;

export function scheduleFor(day: Day): Schedule {
  return {
    backlogFrom: Date.now() + 1000,
    backlogTo: localStart(day) - 3000,
    liveFrom: localStart(day) + 500,
  };
}

/**
 * Sign-up, profile and skills for every agent. Started while the companies open (nothing in it
 * depends on them), so the agents are ready soon after the shifts are posted.
 */
export function signUpAgents(day: Day, cast: Cast): Promise<AgentSession[]> {
  const signedUp = inParallel(cast.agents, 10, (plan) => signUpAgent(day.api, plan, cast.password));
  signedUp.catch(() => undefined); // awaited, and reported, in agentsGetReady
  return signedUp;
}

export async function agentsGetReady(
  day: Day,
  cast: Cast,
  signedUp: Promise<AgentSession[]>,
): Promise<void> {
  chapter('Agents get ready');
  day.agents = await signedUp;
  const langs = new Map<string, number>();
  for (const a of cast.agents) for (const l of a.languages) langs.set(l, (langs.get(l) ?? 0) + 1);
  say(
    `${day.agents.length} agents signed up and set profiles and skills; they speak ` +
      [...langs.entries()].map(([l, n]) => `${l} ${n}`).join(', '),
  );
  for (const a of cast.agents.slice(0, 3)) {
    detail(
      `e.g. ${a.name} (${a.timeZone}, ${a.languages.join('/')}): ` +
        a.skills.map((s) => `${s.skill} ${s.level}`).join(', '),
    );
  }
  const brightpay = day.companies.get('brightpay')!;
  const specialists = day.agents.filter((a) => a.plan.team === 'bp-fraud');
  await certify(
    day.api,
    brightpay,
    specialists.map((a) => a.id),
  );
  say(
    `Brightpay certifies ${specialists.map((a) => a.plan.name).join(', ')} for its fraud review shift`,
  );
  await inParallel(day.agents, 10, (a) => takeSeat(day.api, a, day.companies.get(a.plan.company)!));
  for (const company of day.companies.values()) {
    for (const shift of company.shifts.values()) {
      const taken = day.agents.filter((a) => a.shiftId === shift.id).length;
      detail(`seats: ${company.plan.name} "${shift.title}" ${taken}/${shift.seats}`);
    }
  }
  const punctual = day.agents.filter((a) => a.plan.lateByMs === 0);
  await inParallel(punctual, 10, (a) => checkIn(day.api, a));
  say(
    `${day.agents.filter((a) => a.shiftId).length} agents claimed seats; ${punctual.length} ` +
      'checked in right away (check-in is open before the start); the trainees come later',
  );
}

/** The backlog piles up while the shift has not started. */
export async function countdown(day: Day, failed: () => unknown): Promise<void> {
  for (;;) {
    const left = localStart(day) - Date.now();
    if (left <= 0) break;
    if (failed()) return;
    progress(`shift starts in ${Math.ceil(left / 1000)} s · ${day.escalated.size} tickets waiting`);
    await sleep(Math.min(left, 1000));
  }
  endProgress();
}

export async function workTheShift(
  day: Day,
  rng: Rng,
  bots: Promise<unknown>,
  breaches: () => number | null,
  reopenWindowMs: number | null,
): Promise<void> {
  const total = day.scale.tickets;
  chapter('The shift starts: agents work the queue');
  let failure: unknown = null;
  const fail = (e: unknown) => {
    failure ??= e;
    day.stopWork = true;
  };
  bots.catch(fail);
  let reviewed = false;
  const review = reviewResolutions(day, reopenWindowMs)
    .then(() => (reviewed = true))
    .catch(fail);
  const agents = day.agents.map((a, i) => {
    const push = [...day.companies.values()].some(
      (c) => c.shifts.get(a.plan.team)?.routing === 'push',
    );
    return (push ? workOffers : workShift)(day, a, rng.fork(`work-${i}`)).catch(fail);
  });
  const deadline = Date.now() + day.scale.workLimitMs;
  while (!day.stopWork) {
    const done = day.escalationsDone && day.resolved.size >= total && reviewed;
    if (done) break;
    if (Date.now() > deadline) {
      endProgress();
      say(`Time limit reached with ${total - day.resolved.size} tickets not resolved`);
      break;
    }
    const b = breaches();
    progress(
      `escalated ${day.escalated.size}/${total} · being worked ${desk.inProgress} · ` +
        `resolved ${day.resolved.size} · released ${desk.releases}` +
        (b === null ? '' : ` · SLA breaches ${b}`),
    );
    await sleep(500);
  }
  day.stopWork = true;
  endProgress();
  await Promise.all([...agents, review]);
  if (failure) throw failure;
  say(`All ${day.resolved.size} tickets resolved, ${stamp(elapsedMs())} into the demo`);
  const stillIn = day.agents.filter((a) => a.plan.maxResolutions === null);
  await inParallel(stillIn, 10, (a) => checkOut(day.api, a));
  say(`${stillIn.length} agents check out`);
}

/**
 * Earnings sit pending for the reopen window, then become available on their own; meanwhile
 * the agents set up payouts.
 */
export async function waitForEarnings(day: Day, windowMs: number | null, rng: Rng): Promise<void> {
  chapter('Money: the reopen window, then payouts');
  say(
    windowMs === null
      ? 'Earnings are pending for the instance’s reopen window; meanwhile agents set up payouts'
      : `Earnings are pending for the ${Math.round(windowMs / 1000)} s reopen window; ` +
          'meanwhile agents set up payouts',
  );
  await setUpPayouts(day, rng);
  const deadline = Date.now() + (windowMs ?? 60_000) + 60_000;
  for (;;) {
    const eur = await euroBalances(day);
    const pending = eur.reduce((s, b) => s + b.pending, 0);
    const available = eur.reduce((s, b) => s + b.available, 0);
    if (pending === 0) {
      endProgress();
      say(`All earnings available: ${money(available)} across ${day.agents.length} agents`);
      return;
    }
    if (Date.now() > deadline) {
      endProgress();
      say(`Still ${money(pending)} pending; paying what is available (${money(available)})`);
      return;
    }
    progress(`pending ${money(pending)} → available ${money(available)}`, 5000);
    await sleep(1000);
  }
}

async function euroBalances(day: Day) {
  const all = await inParallel(day.agents, 10, (a) =>
    day.api.step(
      `${a.plan.name} reads earnings`,
      day.api.as(a.token).GET('/v1/agents/me/earnings', { params: { query: { limit: 1 } } }),
    ),
  );
  return all.map(
    (e) => e.balances.find((b) => b.currency === 'EUR') ?? { pending: 0, available: 0, paid: 0 },
  );
}

/**
 * Stripe Connect onboarding: `POST /v1/agents/me/payout-account`, open the returned link (the
 * fake Stripe's hosted page completes it and sends a signed `account.updated` to our Connect
 * webhook), then poll until payouts are enabled. Two agents who earned something have not: one
 * never starts, one leaves the forms unfinished, so the payout run holds their lines. Never the
 * agent who earned most (someone must be paid) nor a trainee (their line shows the minimum).
 */
async function setUpPayouts(day: Day, rng: Rng): Promise<void> {
  const earned = (await euroBalances(day)).map((b) => b.pending + b.available);
  const busiest = day.agents[earned.indexOf(Math.max(...earned))];
  const earners = day.agents.filter((a, i) => earned[i] > 0 && a !== busiest);
  const regulars = earners.filter((a) => a.plan.pace !== 'trainee');
  const [never, abandons] = rng.shuffle(regulars.length >= 2 ? regulars : earners);
  const how = (a: AgentSession): OnboardingPlan =>
    a === never ? 'never' : a === abandons ? 'abandoned' : 'complete';
  const outcomes = await inParallel(day.agents, 10, (a) => onboardStripe(day.api, a, how(a)));
  const enabled = day.agents.filter((a) => a.payoutsEnabled).length;
  say(`${enabled} agents onboarded to Stripe Connect: link → hosted page → payouts enabled`);
  day.agents.forEach((a, i) => {
    if (!a.payoutsEnabled) detail(`${a.plan.name}: ${outcomes[i]}`);
  });
}

/** Narrates what the companies' webhook endpoint hears that matters to the story. */
export function narrateEvents(): (company: string, event: WebhookEvent) => void {
  let breaches = 0;
  let hardSeen = 0;
  return (_company, event) => {
    const inner = (event.data.data ?? {}) as {
      relaxedSkills?: { skill: string; from: number; to: number }[];
      priorityRaisedTo?: number | string;
      releasedBy?: string;
    };
    const ref = String(event.data.externalId);
    if (event.type === 'ticket.sla_breached') {
      breaches += 1;
      const relaxed = (inner.relaxedSkills ?? []).map((r) => `${r.skill} ${r.from}→${r.to}`);
      const hard = (inner.relaxedSkills ?? []).some((r) => r.from === 5);
      // A few examples of each kind tell the story; the progress line keeps the count.
      if (hard ? ++hardSeen <= 3 : breaches - hardSeen <= 3) {
        // The priority's name ("high"), or its rank (2) as older instances send it.
        const raised = inner.priorityRaisedTo ?? 0;
        const priority =
          typeof raised === 'number' ? ['low', 'normal', 'high', 'urgent'][raised] : raised;
        say(
          `SLA breached: ${ref} unclaimed past its deadline → priority ${priority}` +
            (relaxed.length ? `, relaxed ${relaxed.join(', ')}` : '') +
            (hard ? ' (nobody on shift has level 5)' : ''),
        );
      }
    }
    if (event.type === 'ticket.released' && inner.releasedBy === 'handle_timeout') {
      say(`Handle timeout: ${ref} had no activity for a minute and goes back to the queue`);
    }
  };
}
