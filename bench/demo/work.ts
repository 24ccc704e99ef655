/**
 * An agent's shift: claim the best ticket it may take, read it (think time), then resolve it,
 * or now and then give it back with a reason. Trainees come late and leave early. The first
 * agent to claim a ticket a colleague could take instead walks away from it (the handle timeout
 * later returns it to the queue), and the next one gives theirs back: whatever the size of the
 * day, both happen as the shift starts, on the common tickets waiting in the backlog.
 */
import { checkIn, checkOut } from './agents';
import type { Schemas } from '../../src/client/client';
import { canTake } from './cast';
import { money, say, sleep } from './narrate';
import { Rng } from './random';
import { AgentSession, Day } from './state';
import { resolutionFor } from './tickets';
import { RELEASE_REASONS } from './ticket-templates';

type AgentTicket = Schemas['AgentTicketDto'];

/** Live counters for the progress line. */
export const desk = { inProgress: 0, releases: 0, abandoned: 0 };

export async function workShift(day: Day, agent: AgentSession, rng: Rng): Promise<void> {
  const { plan } = agent;
  if (plan.lateByMs > 0) {
    await sleep(plan.lateByMs);
    await checkIn(day.api, agent);
    say(`${plan.name} (trainee) checks in ${Math.round(plan.lateByMs / 1000)} s late`);
  }
  const releasedByMe = new Set<string>();
  let idle = 0;
  // Few agents may poll more often without starving the timers in the API's process (and stay
  // under the write limit, 120 a minute each: claim-next is a write).
  const idleCap = day.agents.length <= 12 ? 1 : 4;
  while (!day.stopWork) {
    if (plan.maxResolutions !== null && agent.resolved >= plan.maxResolutions) {
      await checkOut(day.api, agent);
      const n = agent.resolved;
      say(
        `${plan.name} ends a short first day after ${n} ticket${n === 1 ? '' : 's'} and checks out`,
      );
      return;
    }
    const claim = await day.api.answer(
      `${plan.name} claims the next ticket`,
      day.api.as(agent.token).POST('/v1/agents/me/tickets/claim-next'),
      [200, 204],
    );
    if (claim.status === 204 || !claim.data) {
      // Nothing for me right now: look again soon, less often the longer the queue stays empty
      // (30 agents polling flat out would starve the timers running in the same process).
      idle += 1;
      await sleep(rng.between(600, 1200) * Math.min(idle, idleCap));
      continue;
    }
    idle = 0;
    const ticket = claim.data;
    const stories = day.stories;
    // Checked and taken in one synchronous step: one agent gets each story.
    if (!stories.walkedAway && plan.pace !== 'trainee' && mayGiveBack(day, agent, ticket)) {
      stories.walkedAway = { agent, ticketId: ticket.id, subject: ticket.subject };
      desk.abandoned += 1;
      say(
        `${plan.name} claims "${ticket.subject}" and walks away from it; ` +
          `the handle timeout will give it back`,
      );
      continue;
    }
    desk.inProgress += 1;
    try {
      await sleep(rng.between(plan.thinkMs[0], plan.thinkMs[1]));
      const first = !stories.released && plan.pace !== 'trainee';
      if (
        mayGiveBack(day, agent, ticket) &&
        !releasedByMe.has(ticket.id) &&
        (first || rng.chance(plan.releaseChance))
      ) {
        if (first) stories.released = { agent, ticketId: ticket.id, subject: ticket.subject };
        releasedByMe.add(ticket.id);
        await release(day, agent, ticket, rng.pick(RELEASE_REASONS));
      } else {
        await resolve(day, agent, ticket, rng);
      }
    } finally {
      desk.inProgress -= 1;
    }
  }
}

/**
 * Agents give back (or walk away from) only common tickets (English, levels up to 2) that a
 * colleague on shift all day may take: one given back by its only eligible agent would wait out
 * the release cool-down, and a trainee may have left by then.
 */
function mayGiveBack(day: Day, agent: AgentSession, t: AgentTicket): boolean {
  const company = [...day.companies.values()].find((c) => c.id === t.companyId)?.plan.key;
  if (!company || t.language !== 'en' || t.requiredSkills.some((s) => s.minLevel > 2)) {
    return false;
  }
  const ticket = { company, language: t.language, requiredSkills: t.requiredSkills };
  return day.agents.some(
    (a) => a !== agent && a.plan.pace !== 'trainee' && canTake(a.plan, ticket),
  );
}

async function release(day: Day, agent: AgentSession, ticket: AgentTicket, reason: string) {
  await day.api.step(
    `${agent.plan.name} releases a ticket`,
    day.api.as(agent.token).POST('/v1/tickets/{id}/release', {
      params: { path: { id: ticket.id } },
      body: { reason },
    }),
  );
  agent.released += 1;
  desk.releases += 1;
  if (desk.releases <= 3) say(`${agent.plan.name} releases "${ticket.subject}": "${reason}"`);
}

export async function resolve(
  day: Day,
  agent: AgentSession,
  ticket: AgentTicket,
  rng: Rng,
): Promise<void> {
  const skill = ticket.requiredSkills[0]?.skill ?? '';
  const orderRef = ticket.metadata?.orderRef;
  await day.api.step(
    `${agent.plan.name} resolves a ticket`,
    day.api.as(agent.token).POST('/v1/tickets/{id}/resolve', {
      params: { path: { id: ticket.id } },
      body: {
        resolutionSummary: resolutionFor(
          rng,
          skill,
          typeof orderRef === 'string' ? orderRef : undefined,
        ),
      },
    }),
  );
  agent.resolved += 1;
  day.resolved.set(ticket.id, {
    agent,
    at: Date.now(),
    skill,
    language: ticket.language,
    requiredSkills: ticket.requiredSkills,
  });
  if (day.reopen?.ticketId === ticket.id) {
    say(
      `${agent.plan.name} resolves the reopened "${ticket.subject}" properly ` +
        `(${money(ticket.pay.amountMinor)})`,
    );
  }
}
