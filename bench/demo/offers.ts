/**
 * An agent on a push shift: work comes as offers on its event stream (GET /v1/events/stream),
 * which it takes in turn: a moment to react, accept, read, resolve. The first offer of the day
 * that a colleague on the same desk could take instead is declined with a reason, and the
 * router offers it to the next agent. The stream reconnects with Last-Event-ID if it ends.
 */
import { canTake } from './cast';
import { say, sleep } from './narrate';
import { Rng } from './random';
import { AgentSession, Day } from './state';
import { desk, resolve } from './work';

interface Offer {
  offerId: string;
  ticketId: string;
  expiresAt: string;
  ticket: {
    subject: string;
    language: string;
    requiredSkills: { skill: string; minLevel: number }[];
  };
}

export async function workOffers(day: Day, agent: AgentSession, rng: Rng): Promise<void> {
  const queue: { offer: Offer; at: number }[] = [];
  let wake: () => void = () => undefined;
  const stop = new AbortController();
  const listening = listen(day, agent, stop.signal, (offer) => {
    queue.push({ offer, at: Date.now() });
    wake();
  });
  try {
    while (!day.stopWork) {
      const next = queue.shift();
      if (!next) {
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 500);
        });
        continue;
      }
      const { offer } = next;
      await sleep(rng.between(300, 1200)); // reading the offer
      if (Date.parse(offer.expiresAt) <= Date.now() + 1000) continue; // too late: it moves on
      if (!day.stories.declined && colleagueCouldTake(day, agent, offer)) {
        day.stories.declined = { agent, ticketId: offer.ticketId, subject: offer.ticket.subject };
        const reason = 'Finishing the notes on my last customer';
        await day.api.step(
          `${agent.plan.name} declines an offer`,
          day.api.as(agent.token).POST('/v1/offers/{id}/decline', {
            params: { path: { id: offer.offerId } },
            body: { reason },
          }),
        );
        say(
          `${agent.plan.name} declines the offer of "${offer.ticket.subject}" ("${reason}"); ` +
            `the router offers it to the next agent on the desk`,
        );
        continue;
      }
      const answer = await day.api.answer(
        `${agent.plan.name} accepts an offer`,
        day.api.as(agent.token).POST('/v1/offers/{id}/accept', {
          params: { path: { id: offer.offerId } },
        }),
        [200, 409],
      );
      // 409: the offer ran out or the ticket went (withdrawn, transferred) meanwhile.
      if (answer.status !== 200 || !answer.data) continue;
      if (++day.stories.offersAccepted <= 2) {
        say(
          `${agent.plan.name} accepts an offer ${((Date.now() - next.at) / 1000).toFixed(1)} s ` +
            `after it came: "${offer.ticket.subject}"`,
        );
      }
      desk.inProgress += 1;
      try {
        await sleep(rng.between(agent.plan.thinkMs[0], agent.plan.thinkMs[1]));
        await resolve(day, agent, answer.data, rng);
      } finally {
        desk.inProgress -= 1;
      }
    }
  } finally {
    stop.abort();
    await listening;
  }
}

function colleagueCouldTake(day: Day, agent: AgentSession, offer: Offer): boolean {
  const ticket = {
    company: agent.plan.company,
    language: offer.ticket.language,
    requiredSkills: offer.ticket.requiredSkills,
  };
  return day.agents.some(
    (a) => a !== agent && a.plan.team === agent.plan.team && canTake(a.plan, ticket),
  );
}

/** Reads the agent's event stream until `signal` aborts, handing over each offer. */
async function listen(
  day: Day,
  agent: AgentSession,
  signal: AbortSignal,
  onOffer: (offer: Offer) => void,
): Promise<void> {
  let lastEventId: string | null = null;
  while (!signal.aborted) {
    try {
      const res = await fetch(`${day.api.baseUrl}/v1/events/stream`, {
        headers: {
          Authorization: `Bearer ${agent.token}`,
          ...(lastEventId && { 'Last-Event-ID': lastEventId }),
        },
        signal,
      });
      if (!res.ok || !res.body) throw new Error(`event stream: HTTP ${res.status}`);
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          lastEventId = /^id: (.*)$/m.exec(block)?.[1] ?? lastEventId;
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (/^event: offer\.created$/m.test(block) && data) {
            onOffer((JSON.parse(data) as { data: Offer }).data);
          }
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      if ((e as Error).message.startsWith('event stream: HTTP')) throw e;
    }
    // The stream ended (a deploy, the token's expiry): back after a moment, from where it was.
    if (!signal.aborted) await sleep(500);
  }
}
