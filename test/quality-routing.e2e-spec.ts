import { OfferRouter } from '../src/modules/tickets/offer-router.service';
import { createApiKey, registerCompany, type SignedIn } from './support/factories';
import { endShiftsOf, inMinutes, moveShift } from './support/shifts';
import { createTestApp, type TestApp } from './support/test-app';
import { escalate, liveAgents } from './support/tickets';

/**
 * Push routing with quality (issue 19): equally eligible available agents are offered work by
 * tier first (top, middle, bottom), the longest waiting first within a tier; an agent waiting
 * more than three times its tier's median goes before everyone (the fairness floor).
 */
describe('push routing by quality tier, with a fairness floor', () => {
  let t: TestApp;
  let company: SignedIn;
  let key: string;

  beforeAll(async () => {
    t = await createTestApp();
  });
  beforeEach(async () => {
    company = await registerCompany(t, 'Tiered Co');
    key = await createApiKey(t, company);
  });
  afterEach(() => endShiftsOf(t, company.companyId));
  afterAll(async () => {
    await t.close();
  });

  const route = () => t.app.get(OfferRouter).route(company.companyId!);
  const offeredTo = async (ticketId: string): Promise<string> =>
    (await t.db.query(`SELECT agent_id FROM offers WHERE ticket_id = $1`, [ticketId]))[0]?.agent_id;
  /** The router's tiers, as the refresh writes them. */
  const tier = (agent: SignedIn, name: 'top' | 'middle' | 'bottom') =>
    t.db.query(
      `INSERT INTO agent_quality (agent_id, inputs, score, tier) VALUES ($1, 10, 0.5, $2)
       ON CONFLICT (agent_id) DO UPDATE SET tier = EXCLUDED.tier`,
      [agent.id, name],
    );
  /** When the agent checked in, in seconds ago (no offer or claim yet: its wait). */
  const waiting = (agent: SignedIn, seconds: number) =>
    t.db.query(
      `UPDATE shift_claims SET checked_in_at = now() - make_interval(secs => $2)
        WHERE agent_id = $1 AND status = 'checked_in'`,
      [agent.id, seconds],
    );

  it('offers the top tier first, then the middle, then the bottom, whoever waited longest', async () => {
    const { agents } = await liveAgents(
      t,
      company.auth,
      3,
      { maxConcurrentTickets: 1 },
      {
        routing: 'push',
      },
    );
    const [bottom, middle, top] = agents;
    await tier(bottom, 'bottom');
    await tier(top, 'top');
    // No row: the middle tier.
    await waiting(bottom, 300);
    await waiting(middle, 200);
    await waiting(top, 100);
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      const ticket = await escalate(t, key);
      await route();
      order.push(await offeredTo(ticket.id));
    }
    expect(order).toEqual([top.id, middle.id, bottom.id]);
  });

  it('within a tier, the longest waiting first', async () => {
    const { agents } = await liveAgents(
      t,
      company.auth,
      3,
      { maxConcurrentTickets: 1 },
      {
        routing: 'push',
      },
    );
    for (const a of agents) await tier(a, 'top');
    await waiting(agents[0], 50);
    await waiting(agents[1], 90);
    await waiting(agents[2], 70);
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      const ticket = await escalate(t, key);
      await route();
      order.push(await offeredTo(ticket.id));
    }
    expect(order).toEqual([agents[1].id, agents[2].id, agents[0].id]);
  });

  it('the floor: an agent waiting over 3× its tier’s median goes before the top tier', async () => {
    const { agents } = await liveAgents(
      t,
      company.auth,
      5,
      { maxConcurrentTickets: 1 },
      {
        routing: 'push',
      },
    );
    const [top, starved, ...middles] = agents;
    await tier(top, 'top');
    await waiting(top, 30);
    // Middle waits 3600, 60, 60, 60 s: median 60; 3600 > 3 × 60.
    await waiting(starved, 3600);
    for (const m of middles) await waiting(m, 60);
    const first = await escalate(t, key);
    await route();
    expect(await offeredTo(first.id)).toBe(starved.id);
    // The floor met, tiers again: the top agent next.
    const second = await escalate(t, key);
    await route();
    expect(await offeredTo(second.id)).toBe(top.id);
  });

  it('time before the shift starts is not waiting: an agent who checked in early does not pass the floor for it', async () => {
    const { agents, shiftId } = await liveAgents(
      t,
      company.auth,
      5,
      { maxConcurrentTickets: 1 },
      { routing: 'push' },
    );
    // Started 20 s ago; everyone checked in a minute before the start, one 15 minutes before,
    // when no work could be offered.
    await moveShift(t, shiftId, inMinutes(-20 / 60), inMinutes(120));
    const [top, early, ...middles] = agents;
    await tier(top, 'top');
    await waiting(top, 80);
    for (const m of middles) await waiting(m, 80);
    await waiting(early, 15 * 60 + 20);
    const ticket = await escalate(t, key);
    await route();
    expect(await offeredTo(ticket.id)).toBe(top.id);
  });

  it('time away is not waiting: an agent back from a break does not pass the floor for it', async () => {
    const { agents } = await liveAgents(
      t,
      company.auth,
      5,
      { maxConcurrentTickets: 1 },
      { routing: 'push' },
    );
    const [top, back, ...middles] = agents;
    await tier(top, 'top');
    await waiting(top, 30);
    for (const m of middles) await waiting(m, 60);
    // Checked in an hour ago, away for most of it, back 20 s ago.
    await waiting(back, 3600);
    await t.http
      .put('/v1/agents/me/availability')
      .set(back.auth)
      .send({ status: 'away' })
      .expect(200);
    await t.http
      .put('/v1/agents/me/availability')
      .set(back.auth)
      .send({ status: 'available' })
      .expect(200);
    await t.db.query(
      `UPDATE shift_claims SET availability_changed_at = now() - interval '20 seconds'
        WHERE agent_id = $1 AND status = 'checked_in'`,
      [back.id],
    );
    const ticket = await escalate(t, key);
    await route();
    expect(await offeredTo(ticket.id)).toBe(top.id);
  });

  it('agents who waited alike since the start: the one longest without work first, not the lowest id', async () => {
    const { agents, shiftId } = await liveAgents(
      t,
      company.auth,
      2,
      { maxConcurrentTickets: 1 },
      { routing: 'push' },
    );
    // Each takes one ticket: offered, accepted, resolved.
    const tickets = [await escalate(t, key), await escalate(t, key)];
    await route();
    for (const ticket of tickets) {
      const [offer] = await t.db.query(`SELECT id, agent_id FROM offers WHERE ticket_id = $1`, [
        ticket.id,
      ]);
      const agent = agents.find((a) => a.id === offer.agent_id)!;
      await t.http.post(`/v1/offers/${offer.id}/accept`).set(agent.auth).expect(200);
      await t.http
        .post(`/v1/tickets/${ticket.id}/resolve`)
        .set(agent.auth)
        .send({ resolutionSummary: 'done' })
        .expect(200);
    }
    // The one an id order puts last had its work two days ago, the other an hour ago.
    const [low, high] = [...agents].sort((a, b) => (a.id < b.id ? -1 : 1));
    await t.db.transaction(async (em) => {
      await em.query('SET LOCAL session_replication_role = replica');
      for (const [agent, ago] of [
        [high, '2 days'],
        [low, '1 hour'],
      ] as const) {
        await em.query(`UPDATE offers SET created_at = now() - $2::interval WHERE agent_id = $1`, [
          agent.id,
          ago,
        ]);
        await em.query(
          `UPDATE ticket_claims SET claimed_at = now() - $2::interval WHERE agent_id = $1`,
          [agent.id, ago],
        );
      }
    });
    // Both checked in a minute before a start 20 s ago: each has waited since the start.
    await moveShift(t, shiftId, inMinutes(-20 / 60), inMinutes(120));
    for (const a of agents) await waiting(a, 80);
    const next = await escalate(t, key);
    await route();
    expect(await offeredTo(next.id)).toBe(high.id);
  });

  it('an offer withdrawn before the agent could answer it (the bot withdrew the ticket) leaves its wait as it was', async () => {
    const { agents } = await liveAgents(
      t,
      company.auth,
      2,
      { maxConcurrentTickets: 1 },
      { routing: 'push' },
    );
    for (const a of agents) await tier(a, 'top');
    await waiting(agents[0], 90);
    await waiting(agents[1], 50);
    const first = await escalate(t, key);
    await route();
    expect(await offeredTo(first.id)).toBe(agents[0].id);
    await t.http
      .post(`/v1/escalations/${first.externalId as string}/withdraw`)
      .set('Authorization', `Bearer ${key}`)
      .send({ reason: 'The customer closed the chat' })
      .expect(200);
    const second = await escalate(t, key);
    await route();
    expect(await offeredTo(second.id)).toBe(agents[0].id); // still the longest waiting
  });
});
