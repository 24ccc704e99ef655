/**
 * The companies' bots: escalate the planned tickets at their times (a backlog while the shift
 * has not started, then a stream), retry one request as a flaky network would, and later a
 * company's QA reopens one badly resolved ticket.
 */
import type { Schemas } from '../../src/client/client';
import { inParallel } from './api-client';
import { canTake } from './cast';
import { detail, money, possessive, say, sleep } from './narrate';
import { Day, serverNow } from './state';
import { PlannedTicket } from './tickets';
import { REOPEN_REASONS } from './ticket-templates';

const IN_FLIGHT = 12;
/** The live stream spreads over this long after the shift starts. */
export const LIVE_SPREAD_MS = 40_000;

export interface Schedule {
  backlogFrom: number;
  backlogTo: number;
  liveFrom: number;
}

/** Wall-clock send time of a planned ticket. */
const sendAt = (t: PlannedTicket, s: Schedule) =>
  t.phase === 'backlog'
    ? s.backlogFrom + t.at * (s.backlogTo - s.backlogFrom)
    : s.liveFrom + t.at * LIVE_SPREAD_MS;

/** Sends every planned ticket of one phase, at most IN_FLIGHT at once, in time order. */
export async function escalate(
  day: Day,
  planned: PlannedTicket[],
  schedule: Schedule,
): Promise<void> {
  const ordered = [...planned].sort((a, b) => sendAt(a, schedule) - sendAt(b, schedule));
  let failure: unknown = null;
  const inFlight = new Set<Promise<void>>();
  let retried = false;
  for (const t of ordered) {
    await sleep(sendAt(t, schedule) - Date.now());
    while (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
    if (failure) break;
    const retry: boolean = !retried && t.phase === 'live' && t.company === 'northwind';
    retried ||= retry;
    const p: Promise<void> = sendOne(day, t, retry)
      .catch((e: unknown) => void (failure ??= e))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
}

async function sendOne(day: Day, t: PlannedTicket, retry: boolean): Promise<void> {
  const company = day.companies.get(t.company)!;
  const body = t.body(serverNow(day));
  const step = `${possessive(company.plan.name)} bot escalates ${body.externalId}`;
  const bot = day.api.as(company.botKey);
  const first = await day.api.step(step, bot.POST('/v1/escalations', { body }));
  day.escalated.set(first.id, t.company);
  if (!retry) return;
  // The bot did not see the answer (a timeout, say) and sends the very same request again.
  const again = await day.api.answer(`${step} (retry)`, bot.POST('/v1/escalations', { body }));
  const same = again.data?.id === first.id;
  say(
    `${possessive(company.plan.name)} bot retried ${body.externalId} after a timeout: ` +
      `${again.status}, ${same ? 'same ticket, no duplicate' : 'A DIFFERENT TICKET'}`,
  );
  if (!same) throw new Error(`Idempotent escalation returned a new ticket for ${body.externalId}`);
}

/**
 * Northwind's QA reads a fresh resolution, finds it bad and reopens it inside the reopen window:
 * the ticket goes back to the queue and the agent's pending earning for it is clawed back. QA
 * starts once a share of Northwind's tickets is resolved (DayScale.reviewAfterResolved, one on
 * the smallest day), then takes the first resolution that fits, so the reopen happens on any
 * size of day, early enough for the ticket to be worked again.
 */
export async function reviewResolutions(day: Day, windowMs: number | null): Promise<void> {
  const company = day.companies.get('northwind')!;
  for (;;) {
    if (day.stopWork) return;
    const pick = await resolutionToReview(day, windowMs);
    if (!pick) {
      await sleep(500);
      continue;
    }
    const { ticketId, agent } = pick;
    const reason = REOPEN_REASONS[0];
    const ticket = await day.api.step(
      `${company.plan.name} reopens a ticket`,
      day.api.as(company.botKey).POST('/v1/tickets/{id}/reopen', {
        params: { path: { id: ticketId } },
        body: { reason },
      }),
    );
    day.resolved.delete(ticketId);
    day.reopen = { ticketId, agent, subject: ticket.subject };
    say(
      `${company.plan.name} reopens "${ticket.subject}" (resolved by ${agent.plan.name}): "${reason}"`,
    );
    await showClawback(day, ticketId, agent);
    return;
  }
}

/**
 * A Northwind resolution a second or more old, well inside the reopen window, whose earning the
 * ledger has already booked (the agent sees it pending; a reopen before the booking is
 * legitimate too, but then no earning is ever booked and there is nothing to claw back), and
 * that an agent on shift all day can take again.
 */
async function resolutionToReview(day: Day, windowMs: number | null) {
  const own = [...day.resolved.entries()].filter(([id]) => day.escalated.get(id) === 'northwind');
  if (own.length < day.scale.reviewAfterResolved) return null;
  // Leave time for the earnings read below and the reopen itself before the window closes.
  const freshFor = Math.min(25_000, (windowMs ?? Infinity) - 6000);
  const now = Date.now();
  const fresh = own
    .filter(([, r]) => now - r.at > 1000 && now - r.at < freshFor)
    .filter(([, r]) =>
      day.agents.some(
        (a) =>
          a.plan.pace !== 'trainee' &&
          canTake(a.plan, {
            company: 'northwind',
            language: r.language,
            requiredSkills: r.requiredSkills,
          }),
      ),
    )
    .sort((a, b) => b[1].at - a[1].at);
  for (const [ticketId, { agent }] of fresh.slice(0, 5)) {
    const earnings = await day.api.step(
      `${agent.plan.name} reads earnings`,
      day.api.as(agent.token).GET('/v1/agents/me/earnings', { params: { query: { limit: 100 } } }),
    );
    if (earnings.lines.some((l) => l.kind === 'earning' && l.ticketId === ticketId)) {
      return { ticketId, agent };
    }
  }
  return null;
}

/** Waits for the ledger to book the reversal and shows it from the agent's own earnings. */
async function showClawback(day: Day, ticketId: string, agent: Day['agents'][number]) {
  for (let i = 0; i < 300; i++) {
    const earnings = await day.api.step(
      `${agent.plan.name} reads earnings`,
      day.api.as(agent.token).GET('/v1/agents/me/earnings', { params: { query: { limit: 100 } } }),
    );
    const reversal = earnings.lines.find(
      (l) => l.kind === 'earning_reversal' && l.ticketId === ticketId,
    );
    if (reversal) {
      day.stories.clawbackSeen = true;
      detail(
        `ledger: earning_reversal ${money(reversal.amountMinor)} on ${possessive(agent.plan.name)} ` +
          `${reversal.bucket} balance; the ticket is back in the queue`,
      );
      return;
    }
    await sleep(200);
  }
  throw new Error(`No earning reversal appeared for reopened ticket ${ticketId} within 60 s`);
}

/** Every ticket of both companies, in full (claims included), for the summary. */
export async function readBackTickets(day: Day): Promise<Map<string, Schemas['TicketDto']>> {
  const out = new Map<string, Schemas['TicketDto']>();
  for (const company of day.companies.values()) {
    const admin = day.api.as(company.adminToken);
    const list = await day.api.all(`${company.plan.name} lists its tickets`, (cursor) =>
      admin.GET('/v1/tickets', { params: { query: { limit: 100, cursor } } }),
    );
    const full = await inParallel(list, 32, (t) =>
      day.api.step(
        `${company.plan.name} reads a ticket`,
        admin.GET('/v1/tickets/{id}', { params: { path: { id: t.id } } }),
      ),
    );
    for (const t of full) out.set(t.id, t);
  }
  return out;
}
