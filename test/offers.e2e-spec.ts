import { JobPayloads } from '../src/modules/jobs/job-registry';
import {
  OfferExpireHandler,
  OffersRouteHandler,
  OffersWithdrawHandler,
} from '../src/modules/tickets/offer-jobs.handlers';
import { OfferRouter } from '../src/modules/tickets/offer-router.service';
import { OfferRoutingRepository } from '../src/modules/tickets/offer-routing.repository';
import {
  createApiKey,
  createStaff,
  registerAgent,
  registerCompany,
  SignedIn,
} from './support/factories';
import { shiftBody, endShiftsOf } from './support/shifts';
import {
  escalate,
  escalationBody,
  goLive,
  insertTickets,
  liveAgents,
  sameInstant,
} from './support/tickets';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';
import {
  acceptPastExpiry,
  waitForLockWaiters,
  whileAgentHeld,
  withRowsHeld,
} from './support/row-locks';
import { claimAndTransferAway, withCandidatesHeld } from './support/candidates-gate';

interface OfferRow {
  id: string;
  ticket_id: string;
  agent_id: string;
  status: string;
}

describe('offers (push routing)', () => {
  let t: TestApp;
  let acme: SignedIn;
  let bot: string;
  beforeAll(async () => {
    t = await createTestApp();
  });
  // A company per test: tickets left open by one test are not offered in the next.
  beforeEach(async () => {
    acme = await registerCompany(t, 'Acme');
    bot = await createApiKey(t, acme);
  });
  afterAll(async () => {
    await t.close();
  });

  const route = () => t.app.get(OfferRouter).route(acme.companyId!);
  const offersOf = async (ticketId: string): Promise<OfferRow[]> =>
    t.db.query('SELECT * FROM offers WHERE ticket_id = $1 ORDER BY created_at', [ticketId]);
  const expire = async (offerId: string) => {
    await t.db.query(`UPDATE offers SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      offerId,
    ]);
    return t.app.get(OfferExpireHandler).handle({ offerId });
  };
  /** Closes every live shift of the company so each test starts with its own agents. */
  const endShifts = () => endShiftsOf(t, acme.companyId);
  afterEach(endShifts);

  it('pull shifts are unchanged: the shift says pull and claim-next works', async () => {
    const { agents } = await liveAgents(t, acme.auth, 1);
    const shift = await t.db.query(`SELECT routing FROM shifts WHERE company_id = $1`, [
      acme.companyId,
    ]);
    expect(shift[0].routing).toBe('pull');
    const ticket = await escalate(t, bot);
    const res = await t.http
      .post('/v1/agents/me/tickets/claim-next')
      .set(agents[0].auth)
      .expect(200);
    expect(res.body.id).toBe(ticket.id);
  });

  it('a push shift refuses claim-next and claim by id with WORK_COMES_AS_OFFERS', async () => {
    const { agents } = await liveAgents(t, acme.auth, 1, {}, { routing: 'push', offerSeconds: 20 });
    const ticket = await escalate(t, bot);
    const next = await t.http
      .post('/v1/agents/me/tickets/claim-next')
      .set(agents[0].auth)
      .expect(409);
    expect(next.body.error.code).toBe('WORK_COMES_AS_OFFERS');
    const byId = await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agents[0].auth);
    expect(byId.status).toBe(409);
    expect(byId.body.error.code).toBe('WORK_COMES_AS_OFFERS');
    // The escalation asked for the router in its own transaction (trigger → outbox).
    const jobs = await t.db.query(
      `SELECT count(*)::int AS n FROM outbox WHERE job_name = 'offers.route'
          AND payload->>'companyId' = $1`,
      [acme.companyId],
    );
    expect(jobs[0].n).toBeGreaterThan(0);
  });

  it('a push shift asks for the router at its start, and again when the start moves', async () => {
    const routeJobs = async () =>
      (
        await t.db.query(
          `SELECT run_at FROM outbox WHERE job_name = 'offers.route'
              AND payload->>'companyId' = $1 ORDER BY run_at`,
          [acme.companyId],
        )
      ).map((r: { run_at: Date }) => r.run_at.toISOString());
    const pull = await t.http.post('/v1/shifts').set(acme.auth).send(shiftBody()).expect(201);
    expect(await routeJobs()).toEqual([]);
    const push = await t.http
      .post('/v1/shifts')
      .set(acme.auth)
      .send(shiftBody({ routing: 'push' }))
      .expect(201);
    // Seats check in before the start, when no offer can be made: the tickets that wait are
    // offered when it starts.
    expect(await routeJobs()).toEqual([new Date(push.body.startsAt).toISOString()]);
    const later = new Date(Date.parse(push.body.startsAt) + 15 * 60_000).toISOString();
    await t.http
      .patch(`/v1/shifts/${push.body.id}`)
      .set(acme.auth)
      .send({ startsAt: later })
      .expect(200);
    await t.http
      .patch(`/v1/shifts/${pull.body.id}`)
      .set(acme.auth)
      .send({ routing: 'push' })
      .expect(200);
    expect(await routeJobs()).toEqual(
      [push.body.startsAt, later, pull.body.startsAt].map((x) => new Date(x).toISOString()).sort(),
    );
  });

  it("a run timed for a push shift's start that fires early waits for it, then routes", async () => {
    const handler = t.app.get(OffersRouteHandler);
    const at = new Date(Date.now() + 60_000).toISOString();
    await expect(handler.handle({ companyId: acme.companyId!, notBefore: at })).resolves.toEqual({
      offered: 0,
    });
    const rows = await t.db.query(
      `SELECT run_at, payload FROM outbox WHERE job_name = 'offers.route'
          AND payload->>'companyId' = $1`,
      [acme.companyId],
    );
    expect(rows.map((r: { run_at: Date; payload: { notBefore: string } }) => r.payload)).toEqual([
      { companyId: acme.companyId, notBefore: at },
    ]);
    expect(rows[0].run_at.toISOString()).toBe(at);
    // At its time (or late) it routes.
    await liveAgents(t, acme.auth, 1, {}, { routing: 'push' });
    await escalate(t, bot);
    const past = new Date(Date.now() - 1_000).toISOString();
    await expect(handler.handle({ companyId: acme.companyId!, notBefore: past })).resolves.toEqual({
      offered: 1,
    });
  });

  it('offers an escalation to the longest-idle available agent, not an away one', async () => {
    const { agents } = await liveAgents(t, acme.auth, 3, {}, { routing: 'push' });
    // agents[0] checked in first (longest idle) but is away.
    await t.http
      .put('/v1/agents/me/availability')
      .set(agents[0].auth)
      .send({ status: 'away' })
      .expect(200);
    const ticket = await escalate(t, bot);
    expect(await route()).toEqual({ offered: 1 });
    const [offer] = await offersOf(ticket.id);
    expect(offer.agent_id).toBe(agents[1].id);
    // Events get their public id just after commit (EventSequencer): wait for it.
    const created = await waitFor(async () => {
      const res = await t.http.get('/v1/events?types=offer.created').set(agents[1].auth);
      return res.body.items?.find(
        (e: { data: { offerId: string } }) => e.data.offerId === offer.id,
      ) as { data: Record<string, unknown> } | undefined;
    }, 'the offer.created event');
    expect(created.data).toMatchObject({ ticketId: ticket.id, pay: { currency: 'EUR' } });
    const none = await t.http.get('/v1/events?types=offer.created').set(agents[0].auth);
    expect(none.body.items).toHaveLength(0);
    // The next ticket goes to agents[2], idle longer than agents[1] who was just offered.
    const second = await escalate(t, bot);
    await route();
    expect((await offersOf(second.id))[0].agent_id).toBe(agents[2].id);
  });

  it('offers no ticket transferred to skills the agent lacks between its candidates and its lock', async () => {
    const {
      agents: [pushed],
    } = await liveAgents(t, acme.auth, 1, {}, { routing: 'push' }); // refunds at level 3
    const {
      agents: [puller],
    } = await liveAgents(t, acme.auth, 1); // on a pull shift of the same company
    // The router's pass for `pushed` waits between its candidates (the ticket, open) and its
    // lock while `puller` claims the ticket and transfers it. Escalated with the gate shut, so
    // a pass the intake set off waits there too.
    let ticket = { id: '' };
    const { started } = await withCandidatesHeld(
      t,
      pushed.id,
      () =>
        escalate(t, bot).then((made) => {
          ticket = made;
          return route();
        }),
      () => claimAndTransferAway(t, puller, ticket.id),
    );
    await started;
    expect(await offersOf(ticket.id)).toEqual([]);
  });

  /**
   * `pushed` (refunds at level 5, on a push shift) offered a ticket that `puller` (level 3, on a
   * pull shift) can claim and transfer to level 5: then only `pushed` can take it.
   */
  const offeredToTheOnlySpecialist = async () => {
    const {
      agents: [pushed],
    } = await liveAgents(
      t,
      acme.auth,
      1,
      { skills: [{ skill: 'refunds', level: 5 }] },
      { routing: 'push' },
    );
    const {
      agents: [puller],
    } = await liveAgents(t, acme.auth, 1);
    const ticket = await escalate(t, bot);
    await route();
    const [offer] = await offersOf(ticket.id);
    return { pushed, puller, ticket, offer };
  };

  it('offers a ticket the agent declined again once it is transferred: another task, perhaps only the agent can take it', async () => {
    const { pushed, puller, ticket, offer } = await offeredToTheOnlySpecialist();
    await t.http
      .post(`/v1/offers/${offer.id}/decline`)
      .set(pushed.auth)
      .send({ reason: 'not now' })
      .expect(200);
    expect(await route()).toEqual({ offered: 0 }); // passed on, for this shift
    // Taken, then handed on to a level only `pushed` has: its pass was on the ticket before.
    await claimAndTransferAway(t, puller, ticket.id);
    expect(await route()).toEqual({ offered: 1 });
    expect((await offersOf(ticket.id)).map((o) => [o.agent_id, o.status])).toEqual([
      [pushed.id, 'declined'],
      [pushed.id, 'pending'],
    ]);
  });

  it('offers a ticket again after a transfer though its expiry was decided late, after the transfer', async () => {
    const { pushed, puller, ticket, offer } = await offeredToTheOnlySpecialist();
    // Ran out a minute ago, its expiry job late: claim-next's reservation lapsed meanwhile, so
    // another agent took the ticket and handed it on; only then is the expiry decided.
    await t.db.query(`UPDATE offers SET expires_at = now() - interval '1 minute' WHERE id = $1`, [
      offer.id,
    ]);
    await claimAndTransferAway(t, puller, ticket.id);
    expect(await t.app.get(OfferExpireHandler).handle({ offerId: offer.id })).toMatchObject({
      expired: true,
    });
    expect(await route()).toEqual({ offered: 1 });
    expect((await offersOf(ticket.id)).map((o) => [o.agent_id, o.status])).toEqual([
      [pushed.id, 'expired'],
      [pushed.id, 'pending'],
    ]);
  });

  it('gives an offer its full time from when it is made, though the pass waited on the agent', async () => {
    const { agents } = await liveAgents(t, acme.auth, 1, {}, { routing: 'push', offerSeconds: 20 });
    const ticket = await escalate(t, bot);
    let released = 0;
    await whileAgentHeld(
      t,
      agents[0].id,
      route,
      'the router to wait for the agent',
      async (held) => {
        await new Promise((r) => setTimeout(r, 1000)); // a pass held up a second
        const [{ at }] = await held.query('SELECT clock_timestamp() AS at');
        released = (at as Date).getTime();
      },
    );
    const [offer] = await t.db.query('SELECT expires_at FROM offers WHERE ticket_id = $1', [
      ticket.id,
    ]);
    expect((offer.expires_at as Date).getTime() - released).toBeGreaterThanOrEqual(20_000);
  });

  it('routes again shortly a ticket it passed over only because another transaction held it', async () => {
    const { agents } = await liveAgents(t, acme.auth, 1, {}, { routing: 'push' });
    const ticket = await escalate(t, bot);
    const delayedRoutes = async () =>
      (
        await t.db.query(
          `SELECT count(*)::int AS n FROM outbox WHERE job_name = 'offers.route'
              AND payload->>'companyId' = $1 AND run_at > now()`,
          [acme.companyId],
        )
      )[0].n as number;
    const before = await delayedRoutes();
    // Held as the bot's message to the customer holds it, while the router passes (it skips a
    // locked ticket instead of waiting: the pass ends with the lock still held).
    const passed = await withRowsHeld(
      t,
      'SELECT 1 FROM tickets WHERE id = $1 FOR UPDATE',
      [ticket.id],
      () => route(),
    );
    expect(passed).toEqual({ offered: 0 });
    // Nothing the message did asks for a route: the router asked for one itself.
    expect(await delayedRoutes()).toBe(before + 1);
    expect(await route()).toEqual({ offered: 1 });
    expect((await offersOf(ticket.id)).map((o) => o.agent_id)).toEqual([agents[0].id]);
  });

  it("honours an accept made in time that waited on the ticket past the offer's end", async () => {
    const { agents } = await liveAgents(t, acme.auth, 1, {}, { routing: 'push' });
    const ticket = await escalate(t, bot);
    await route();
    const [offer] = await offersOf(ticket.id);
    // Pending when the accept reads it; it runs out while the accept waits for the ticket.
    const accepted = await acceptPastExpiry(
      t,
      { id: offer.id, ticketId: ticket.id },
      agents[0].auth,
    );
    expect(accepted.status).toBe(200);
    const [row] = await offersOf(ticket.id);
    expect(row.status).toBe('accepted');
  });

  it("an accept that waited for the agent past the offer's end finds it expired", async () => {
    const { agents } = await liveAgents(t, acme.auth, 1, {}, { routing: 'push' });
    const ticket = await escalate(t, bot);
    await route();
    const [offer] = await offersOf(ticket.id);
    const answer = await whileAgentHeld(
      t,
      agents[0].id,
      () => t.http.post(`/v1/offers/${offer.id}/accept`).set(agents[0].auth),
      'the accept to wait for the agent',
      // The offer runs out while the accept waits (after its transaction began).
      (held) =>
        held.query('UPDATE offers SET expires_at = clock_timestamp() WHERE id = $1', [offer.id]),
    );
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('OFFER_EXPIRED');
    const claims = await t.db.query('SELECT 1 FROM ticket_claims WHERE ticket_id = $1', [
      ticket.id,
    ]);
    expect(claims).toHaveLength(0);
  });

  it('a ticket given back is offered to its agent again when the cooldown ends, by a route timed then', async () => {
    const { agents } = await liveAgents(t, acme.auth, 1, {}, { routing: 'push' });
    const ticket = await escalate(t, bot);
    await route();
    const [offer] = await offersOf(ticket.id);
    await t.http.post(`/v1/offers/${offer.id}/accept`).set(agents[0].auth).expect(200);
    await t.http
      .post(`/v1/tickets/${ticket.id}/release`)
      .set(agents[0].auth)
      .send({ reason: 'back in a while' })
      .expect(200);
    await route();
    expect(await offersOf(ticket.id)).toHaveLength(1); // the only agent, cooling down
    const [{ until }] = await t.db.query(
      'SELECT until FROM ticket_cooldowns WHERE ticket_id = $1 AND agent_id = $2',
      [ticket.id, agents[0].id],
    );
    // Nothing changes when the cooldown ends, so no trigger asks for the router: a job does.
    const timed = await t.db.query(
      `SELECT id FROM outbox WHERE job_name = 'offers.route' AND payload ->> 'companyId' = $1
          AND run_at = $2::timestamptz + interval '1 second'`,
      [acme.companyId, until],
    );
    expect(timed).toHaveLength(1);
    await t.db.query(`UPDATE ticket_cooldowns SET until = now() WHERE ticket_id = $1`, [ticket.id]);
    await t.app.get(OffersRouteHandler).handle({ companyId: acme.companyId! });
    const again = await offersOf(ticket.id);
    expect(again.map((o) => [o.agent_id, o.status])).toEqual([
      [agents[0].id, 'accepted'],
      [agents[0].id, 'pending'],
    ]);
  });

  it('50 concurrent accepts of one offer make exactly one claim', async () => {
    const { agents } = await liveAgents(t, acme.auth, 1, {}, { routing: 'push' });
    const ticket = await escalate(t, bot);
    await route();
    const [offer] = await offersOf(ticket.id);
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        t.http.post(`/v1/offers/${offer.id}/accept`).set(agents[0].auth),
      ),
    );
    expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
    const refused = answers.filter((r) => r.status === 409);
    expect(refused).toHaveLength(49);
    expect(new Set(refused.map((r) => r.body.error.code))).toEqual(new Set(['OFFER_NOT_PENDING']));
    const claims = await t.db.query(
      'SELECT count(*)::int AS n FROM ticket_claims WHERE ticket_id = $1',
      [ticket.id],
    );
    expect(claims[0].n).toBe(1);
  });

  it('accept honours Idempotency-Key: a retry replays, concurrent twins make one claim', async () => {
    const { agents } = await liveAgents(t, acme.auth, 1, {}, { routing: 'push' });
    const tickets = [await escalate(t, bot), await escalate(t, bot)];
    await route();
    const [a, b] = await Promise.all(tickets.map(async (x) => (await offersOf(x.id))[0]));
    const accept = (id: string, key?: string) => {
      const req = t.http.post(`/v1/offers/${id}/accept`).set(agents[0].auth);
      return key ? req.set('Idempotency-Key', key) : req;
    };
    const key = crypto.randomUUID();
    const first = await accept(a.id, key).expect(200);
    const retry = await accept(a.id, key).expect(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    // Without the key the same call is a new one, refused.
    expect((await accept(a.id).expect(409)).body.error.code).toBe('OFFER_NOT_PENDING');
    // Ten concurrent twins with one key: one runs, nine get its answer.
    const twinKey = crypto.randomUUID();
    const twins = await Promise.all(Array.from({ length: 10 }, () => accept(b.id, twinKey)));
    expect(twins.map((r) => r.status)).toEqual(Array(10).fill(200));
    for (const r of twins) expect(r.body).toEqual(twins[0].body);
    const claims = await t.db.query(
      'SELECT ticket_id FROM ticket_claims WHERE agent_id = $1 ORDER BY ticket_id',
      [agents[0].id],
    );
    expect(claims.map((c: { ticket_id: string }) => c.ticket_id)).toEqual(
      tickets.map((x) => x.id).sort(),
    );
  });

  it('another company’s agent cannot see, accept or decline an offer: 404, nothing changes', async () => {
    const { agents } = await liveAgents(t, acme.auth, 1, {}, { routing: 'push' });
    const ticket = await escalate(t, bot);
    await route();
    const [offer] = await offersOf(ticket.id);
    const rival = await registerCompany(t, 'Rival');
    const stranger = await liveAgents(t, rival.auth, 1, {}, { routing: 'push' });
    // And a colleague on the same shift's company is no owner either.
    const colleague = (await liveAgents(t, acme.auth, 1, {}, { routing: 'push' })).agents[0];
    for (const who of [stranger.agents[0], colleague]) {
      const acc = await t.http.post(`/v1/offers/${offer.id}/accept`).set(who.auth).expect(404);
      expect(acc.body.error.code).toBe('NOT_FOUND');
      const dec = await t.http
        .post(`/v1/offers/${offer.id}/decline`)
        .set(who.auth)
        .send({ reason: 'not mine' })
        .expect(404);
      expect(dec.body.error.code).toBe('NOT_FOUND');
    }
    expect((await offersOf(ticket.id)).map((o) => [o.agent_id, o.status])).toEqual([
      [agents[0].id, 'pending'],
    ]);
    await endShiftsOf(t, rival.companyId);
  });

  it('availability: a bad status changes nothing; not checked in is 409 NOT_CHECKED_IN', async () => {
    const { agents } = await liveAgents(t, acme.auth, 1, {}, { routing: 'push' });
    const before = await t.http.get('/v1/agents/me/availability').set(agents[0].auth).expect(200);
    // The desk shows offers, not claim-next, on a push shift.
    expect(before.body).toMatchObject({ status: 'available', routing: 'push' });
    for (const status of ['asleep', '', 42, null]) {
      const res = await t.http
        .put('/v1/agents/me/availability')
        .set(agents[0].auth)
        .send({ status })
        .expect(400);
      expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual([
        'status',
      ]);
    }
    const after = await t.http.get('/v1/agents/me/availability').set(agents[0].auth).expect(200);
    expect(after.body).toEqual(before.body);
    const lone = await registerAgent(t);
    for (const req of [
      t.http.get('/v1/agents/me/availability'),
      t.http.put('/v1/agents/me/availability').send({ status: 'away' }),
    ]) {
      const res = await req.set(lone.auth).expect(409);
      expect(res.body.error.code).toBe('NOT_CHECKED_IN');
    }
  });

  it('an offer reserves its ticket: pull claim-next passes over it, claim by id says OFFERED', async () => {
    const push = await liveAgents(t, acme.auth, 1, {}, { routing: 'push' });
    const ticket = await escalate(t, bot);
    await route();
    const [offer] = await offersOf(ticket.id);
    const pull = await liveAgents(t, acme.auth, 1);
    const [accept, next] = await Promise.all([
      t.http.post(`/v1/offers/${offer.id}/accept`).set(push.agents[0].auth),
      t.http.post('/v1/agents/me/tickets/claim-next').set(pull.agents[0].auth),
    ]);
    expect([accept.status, next.status]).toEqual([200, 204]);
    const claims = await t.db.query('SELECT agent_id FROM ticket_claims WHERE ticket_id = $1', [
      ticket.id,
    ]);
    expect(claims).toEqual([{ agent_id: push.agents[0].id }]);

    // While a second ticket is on offer, a claim by id names the reservation and its end.
    const second = await escalate(t, bot);
    await t.http.post(`/v1/tickets/${ticket.id}/resolve`).set(push.agents[0].auth).send({
      resolutionSummary: 'Done',
    });
    await route();
    const [held] = await offersOf(second.id);
    const byId = await t.http.post(`/v1/tickets/${second.id}/claim`).set(pull.agents[0].auth);
    expect(byId.status).toBe(403);
    expect(byId.body.error.details.reasons).toEqual([
      {
        code: 'OFFERED',
        until: (
          await t.db.query('SELECT expires_at FROM offers WHERE id = $1', [held.id])
        )[0].expires_at.toISOString(),
      },
    ]);
    // Declined by the only push agent: not offered to it again on this shift, so pull takes it.
    await t.http
      .post(`/v1/offers/${held.id}/decline`)
      .set(push.agents[0].auth)
      .send({ reason: 'Not my area' })
      .expect(200);
    expect(await route()).toEqual({ offered: 0 });
    const taken = await t.http
      .post('/v1/agents/me/tickets/claim-next')
      .set(pull.agents[0].auth)
      .expect(200);
    expect(taken.body.id).toBe(second.id);
  });

  it('an offer run out holds its ticket 30 s more at most, though its expiry job has not run (a worker behind)', async () => {
    const push = await liveAgents(t, acme.auth, 1, {}, { routing: 'push' });
    const pull = await liveAgents(t, acme.auth, 1);
    const ranOut = (offerId: string, seconds: number) =>
      t.db.query(`UPDATE offers SET expires_at = now() - make_interval(secs => $2) WHERE id = $1`, [
        offerId,
        seconds,
      ]);
    const first = await escalate(t, bot);
    const second = await escalate(t, bot);
    await route();
    const [a] = await offersOf(first.id);
    const [b] = await offersOf(second.id);
    expect([a.agent_id, b.agent_id]).toEqual([push.agents[0].id, push.agents[0].id]);

    // Run out 5 s ago, its job not run: still held (an ordinary late job decides it).
    await ranOut(a.id, 5);
    await ranOut(b.id, 5);
    await t.http.post('/v1/agents/me/tickets/claim-next').set(pull.agents[0].auth).expect(204);
    const held = await t.http.post(`/v1/tickets/${second.id}/claim`).set(pull.agents[0].auth);
    expect(held.status).toBe(403);
    expect(held.body.error.details.reasons).toEqual([
      { code: 'OFFERED', until: expect.any(String) },
    ]);

    // Run out 40 s ago: claim-next and a claim by id take the tickets. The router, which
    // cannot offer them again before their jobs decide them, does not count them as offerable.
    await ranOut(a.id, 40);
    await ranOut(b.id, 40);
    const offerable = await t.app
      .get(OfferRoutingRepository)
      .withOfferableTicket(t.db.manager, acme.companyId!, [push.agents[0].id]);
    expect([...offerable]).toEqual([]);
    const next = await t.http
      .post('/v1/agents/me/tickets/claim-next')
      .set(pull.agents[0].auth)
      .expect(200);
    expect(next.body.id).toBe(first.id);
    await t.http.post(`/v1/tickets/${second.id}/claim`).set(pull.agents[0].auth).expect(200);

    // The late jobs find the tickets taken: withdrawn, not the push agent's expiries.
    for (const offer of [a, b]) {
      expect(await t.app.get(OfferExpireHandler).handle({ offerId: offer.id })).toEqual({
        expired: false,
        away: false,
      });
    }
    const statuses = await t.db.query('SELECT status FROM offers WHERE id = ANY($1)', [
      [a.id, b.id],
    ]);
    expect(statuses).toEqual([{ status: 'withdrawn' }, { status: 'withdrawn' }]);
  });

  it('claim-next passes over a ticket offered after it read its candidates', async () => {
    const push = await liveAgents(t, acme.auth, 1, {}, { routing: 'push' });
    const pusher = push.agents[0];
    // Away, so the ticket waits unoffered until claim-next has read its candidates.
    await t.http.put('/v1/agents/me/availability').set(pusher.auth).send({ status: 'away' });
    const ticket = await escalate(t, bot);
    const pull = (await liveAgents(t, acme.auth, 1)).agents[0];
    // Fault injection: the pull agent's candidate read waits on a lock this test holds, after
    // it has read, so the offer commits between claim-next's two statements.
    const gate = 7_311_001;
    await t.db.query(
      `ALTER FUNCTION ticket_candidates(uuid, uuid, text[], text[], int[], int)
         RENAME TO ticket_candidates_real`,
    );
    await t.db.query(`
      CREATE FUNCTION ticket_candidates(p_company uuid, p_agent uuid, p_languages text[],
                                        p_skills text[], p_levels int[], p_limit int)
      RETURNS SETOF uuid LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        RETURN QUERY SELECT * FROM ticket_candidates_real(p_company, p_agent, p_languages,
                                                          p_skills, p_levels, p_limit);
        IF p_agent = '${pull.id}' THEN
          PERFORM pg_advisory_xact_lock_shared(${gate});
        END IF;
      END
      $$`);
    const holder = t.db.createQueryRunner();
    await holder.connect();
    try {
      await holder.startTransaction();
      await holder.query('SELECT pg_advisory_xact_lock($1)', [gate]);
      const next = t.http
        .post('/v1/agents/me/tickets/claim-next')
        .set(pull.auth)
        .then((r) => r);
      await waitForLockWaiters(t, 1, "claim-next's candidate read");
      await t.http
        .put('/v1/agents/me/availability')
        .set(pusher.auth)
        .send({ status: 'available' })
        .expect(200);
      expect(await route()).toEqual({ offered: 1 });
      await holder.commitTransaction();
      // Nothing else to claim: the offered ticket is not taken from under the offer.
      expect((await next).status).toBe(204);
    } finally {
      if (holder.isTransactionActive) await holder.rollbackTransaction();
      await holder.release();
      await t.db.query(
        `DROP FUNCTION ticket_candidates(uuid, uuid, text[], text[], int[], int);
         ALTER FUNCTION ticket_candidates_real(uuid, uuid, text[], text[], int[], int)
           RENAME TO ticket_candidates`,
      );
    }
    const [offer] = await offersOf(ticket.id);
    expect(offer).toMatchObject({ agent_id: pusher.id, status: 'pending' });
    await t.http.post(`/v1/offers/${offer.id}/accept`).set(pusher.auth).expect(200);
  });

  it('offers first, of tickets of one instant, the one the queue lists first (by id)', async () => {
    const { agents } = await liveAgents(
      t,
      acme.auth,
      1,
      { maxConcurrentTickets: 1 },
      { routing: 'push' },
    );
    const ids = [(await escalate(t, bot)).id, (await escalate(t, bot)).id].sort();
    await sameInstant(t, [...ids].reverse());
    expect(await route()).toEqual({ offered: 1 });
    const [offer] = await offersOf(ids[0]);
    expect(offer).toMatchObject({ agent_id: agents[0].id, status: 'pending' });
  });

  it('a ticket the first agents in the order cannot take goes to one further down', async () => {
    // More generalists than the router reads at a time, idle longer than the one specialist.
    await liveAgents(t, acme.auth, 25, {}, { routing: 'push' });
    const specialist = (
      await liveAgents(
        t,
        acme.auth,
        1,
        { skills: [{ skill: 'fraud', level: 3 }] },
        {
          routing: 'push',
        },
      )
    ).agents[0];
    const ticket = await escalate(t, bot, { requiredSkills: [{ skill: 'fraud', minLevel: 2 }] });
    const router = t.app.get(OfferRouter) as unknown as { offerOne: () => Promise<boolean> };
    const tried = jest.spyOn(router, 'offerOne');
    try {
      expect(await route()).toEqual({ offered: 1 });
      // One statement per batch said who could take it: no locked attempt for each of the 25.
      expect(tried).toHaveBeenCalledTimes(1);
      // Offered, and nothing else waits: the next run tries nobody.
      expect(await route()).toEqual({ offered: 0 });
      expect(tried).toHaveBeenCalledTimes(1);
    } finally {
      tried.mockRestore();
    }
    const [offer] = await offersOf(ticket.id);
    expect(offer).toMatchObject({ agent_id: specialist.id, status: 'pending' });
  });

  it('offers on a database slower than the batch freshness bound: the first able agent is always tried', async () => {
    await liveAgents(t, acme.auth, 1, {}, { routing: 'push' });
    const ticket = await escalate(t, bot);
    const offers = t.app.get(OfferRoutingRepository);
    const read = offers.withOfferableTicket.bind(offers);
    // The read of who can take a ticket outlasts the bound (250 ms), as under load.
    const slow = jest.spyOn(offers, 'withOfferableTicket').mockImplementation(async (...args) => {
      const able = await read(...args);
      await new Promise((resolve) => setTimeout(resolve, 300));
      return able;
    });
    try {
      expect(await route()).toEqual({ offered: 1 });
    } finally {
      slow.mockRestore();
    }
    expect((await offersOf(ticket.id))[0].status).toBe('pending');
  });

  /**
   * A company of its own (the 64 tickets it leaves open would come first in the others) with
   * `agents` on a live push shift, 64 urgent tickets each carrying an offer to the first agent
   * (`offer`: its status, expires_at, decided_at and decline_reason, as SQL), and a low ticket
   * below them, escalated last.
   */
  const belowOfferedTop = async (name: string, agents: number, offer: string) => {
    const co = await registerCompany(t, name);
    const coBot = { Authorization: `Bearer ${await createApiKey(t, co)}` };
    const live = await liveAgents(t, co.auth, agents, {}, { routing: 'push' });
    await insertTickets(t, co.companyId!, 64);
    await t.db.query(`UPDATE tickets SET priority = 3, rank = 3 WHERE company_id = $1`, [
      co.companyId,
    ]);
    await t.db.query(
      `INSERT INTO offers (ticket_id, agent_id, company_id, shift_id, status, expires_at,
                           decided_at, decline_reason)
       SELECT id, $2, company_id, $3, ${offer} FROM tickets WHERE company_id = $1`,
      [co.companyId, live.agents[0].id, live.shiftId],
    );
    const below = await t.http
      .post('/v1/escalations')
      .set(coBot)
      .send(escalationBody({ priority: 'low' }))
      .expect(201);
    return { co, agents: live.agents, below: below.body as { id: string } };
  };

  it('offers the tickets below the 64 best when the agent passed on all of those', async () => {
    // 64 urgent tickets the agent declined on this shift (hard ones stay open, and on top).
    const {
      co,
      agents: [agent],
      below,
    } = await belowOfferedTop('Hard Queue', 1, `'declined', now(), now(), 'too hard'`);
    expect(await t.app.get(OfferRouter).route(co.companyId!)).toEqual({ offered: 1 });
    expect((await offersOf(below.id))[0]).toMatchObject({
      agent_id: agent.id,
      status: 'pending',
    });
  });

  it('offers the tickets below 64 whose offers ran out over 30 s ago, their expiry jobs late', async () => {
    // 64 urgent tickets on offer to one agent, run out 40 s ago, none of their jobs run yet.
    const {
      co,
      agents: [, free],
      below,
    } = await belowOfferedTop(
      'Stalled Worker',
      2,
      `'pending', now() - interval '40 seconds', NULL, NULL`,
    );
    const routing = t.app.get(OfferRoutingRepository);
    expect([
      ...(await routing.withOfferableTicket(t.db.manager, co.companyId!, [free.id])),
    ]).toEqual([free.id]);
    expect(await t.app.get(OfferRouter).route(co.companyId!)).toEqual({ offered: 1 });
    expect((await offersOf(below.id))[0]).toMatchObject({
      agent_id: free.id,
      status: 'pending',
    });
  });

  it('refuses an accept when a skill the ticket needs was dropped while the offer stood', async () => {
    const {
      agents: [agent],
    } = await liveAgents(t, acme.auth, 1, {}, { routing: 'push' });
    const ticket = await escalate(t, bot);
    await route();
    const [offer] = await offersOf(ticket.id);
    expect(offer.agent_id).toBe(agent.id);
    await t.db.query('DELETE FROM agent_skills WHERE agent_id = $1', [agent.id]);
    const refused = await t.http.post(`/v1/offers/${offer.id}/accept`).set(agent.auth).expect(403);
    expect(refused.body.error.code).toBe('NOT_ELIGIBLE');
    expect(refused.body.error.details.reasons).toEqual([
      expect.objectContaining({ code: 'MISSING_SKILL' }),
    ]);
    const claims = await t.db.query('SELECT 1 FROM ticket_claims WHERE ticket_id = $1', [
      ticket.id,
    ]);
    expect(claims).toEqual([]);
    // The offer is withdrawn, not left to hold the ticket until it runs out (and then count as
    // the agent's expiry).
    expect((await offersOf(ticket.id))[0].status).toBe('withdrawn');
  });

  it('an offer whose shift ended before its withdrawal job ran is withdrawn, not the agent’s expiry: accepted or run out', async () => {
    const { shiftId, agents } = await liveAgents(t, acme.auth, 2, {}, { routing: 'push' });
    const [first, second] = [await escalate(t, bot), await escalate(t, bot)];
    await route();
    const [a, b] = [(await offersOf(first.id))[0], (await offersOf(second.id))[0]];
    expect(new Set([a.agent_id, b.agent_id]).size).toBe(2);
    // The shift is over; its completion (which withdraws its offers) has not run yet.
    await t.db.query(
      `UPDATE shifts SET ends_at = now() - interval '1 second',
              starts_at = now() - interval '2 hours' WHERE id = $1`,
      [shiftId],
    );
    // Accepted in time: refused (not on the shift), and withdrawn rather than left pending.
    const acceptor = agents.find((x) => x.id === a.agent_id)!;
    const refused = await t.http.post(`/v1/offers/${a.id}/accept`).set(acceptor.auth).expect(403);
    expect(refused.body.error.details.reasons).toEqual([{ code: 'NOT_ON_SHIFT' }]);
    expect((await offersOf(first.id))[0].status).toBe('withdrawn');
    // Run out: withdrawn as well; it does not count toward three in a row.
    expect(await expire(b.id)).toEqual({ expired: false, away: false });
    expect((await offersOf(second.id))[0].status).toBe('withdrawn');
  });

  it("a suspension withdraws the agent's pending offer, and the ticket goes to another agent", async () => {
    const { agents } = await liveAgents(t, acme.auth, 2, {}, { routing: 'push' });
    const ticket = await escalate(t, bot);
    await route();
    const [offer] = await offersOf(ticket.id);
    const held = agents.find((a) => a.id === offer.agent_id)!;
    const other = agents.find((a) => a.id !== offer.agent_id)!;
    const admin = await createStaff(t, 'admin');
    await t.http
      .post(`/v1/agents/${held.id}/suspend`)
      .set(admin.auth)
      .send({ reason: 'Fraud investigation' })
      .expect(200);
    expect((await offersOf(ticket.id))[0].status).toBe('withdrawn');
    // The agent's desk hears of it (it showed Accept until the offer ran out).
    const heard = await waitFor(async () => {
      const res = await t.http.get('/v1/events?types=offer.withdrawn').set(held.auth);
      return res.body.items?.length > 0 && res.body.items;
    }, 'offer.withdrawn for the suspended agent');
    expect(heard).toMatchObject([
      { data: { offerId: offer.id, ticketId: ticket.id, reason: 'suspended' } },
    ]);
    const [job] = await t.db.query(
      `SELECT 1 FROM outbox WHERE job_name = 'offers.route' AND payload->>'companyId' = $1
          AND created_at >= (SELECT decided_at FROM offers WHERE id = $2)`,
      [acme.companyId, offer.id],
    );
    expect(job).toBeDefined();
    expect(await route()).toEqual({ offered: 1 });
    const chain = await offersOf(ticket.id);
    expect(chain[1]).toMatchObject({ agent_id: other.id, status: 'pending' });
  });

  it("a suspension waiting for the agent's row lets that agent's own transaction insert on the shift (no deadlock)", async () => {
    const {
      shiftId,
      agents: [agent],
    } = await liveAgents(t, acme.auth, 1, {}, { routing: 'push' });
    const admin = await createStaff(t, 'admin');
    // The agent's accept (or a router pass) holds its row, and next inserts a claim or an offer
    // on the shift: the foreign key's check takes a key-share lock on the shift's row.
    const suspended = await whileAgentHeld(
      t,
      agent.id,
      () =>
        t.http
          .post(`/v1/agents/${agent.id}/suspend`)
          .set(admin.auth)
          .send({ reason: 'Fraud investigation' }),
      'the suspension to wait for the agent',
      // FOR UPDATE on the shift made this wait for the suspension: a deadlock (40P01).
      (held) => held.query('SELECT 1 FROM shifts WHERE id = $1 FOR KEY SHARE', [shiftId]),
    );
    expect(suspended.status).toBe(200);
  });

  it("the bot's withdrawal withdraws the ticket's pending offer: the agent is told and free for the next", async () => {
    const { agents } = await liveAgents(
      t,
      acme.auth,
      1,
      { maxConcurrentTickets: 1 },
      { routing: 'push', offerSeconds: 120 },
    );
    const ticket = await escalate(t, bot);
    await route();
    const [offer] = await offersOf(ticket.id);
    expect(offer).toMatchObject({ agent_id: agents[0].id, status: 'pending' });
    await t.http
      .post(`/v1/escalations/${ticket.externalId}/withdraw`)
      .set('Authorization', `Bearer ${bot}`)
      .send({ reason: 'The customer left' })
      .expect(200);
    expect((await offersOf(ticket.id))[0].status).toBe('withdrawn');
    await waitFor(async () => {
      const res = await t.http.get('/v1/events?types=offer.withdrawn').set(agents[0].auth);
      return res.body.items?.find(
        (e: { data: { offerId: string } }) => e.data.offerId === offer.id,
      );
    }, 'the offer.withdrawn event');
    // Its one place is free at once, not when the offer would have run out (2 minutes).
    const next = await escalate(t, bot);
    expect(await route()).toEqual({ offered: 1 });
    expect((await offersOf(next.id))[0]).toMatchObject({
      agent_id: agents[0].id,
      status: 'pending',
    });
  });

  it('a withdrawal that finds an offer committed while it waited on the ticket, held by an accept waiting on that ticket, lets the accept through: no deadlock', async () => {
    const { agents } = await liveAgents(
      t,
      acme.auth,
      1,
      { maxConcurrentTickets: 1 },
      { routing: 'push', offerSeconds: 120 },
    );
    const ticket = await escalate(t, bot);
    await route();
    const [offer] = await offersOf(ticket.id);
    // A router pass that holds the ticket and commits its offer after the withdrawal looked for
    // offers: here the offer is taken out of pending, and put back by the transaction holding
    // the ticket. A second transaction queues on the ticket first, so that once the pass
    // commits the withdrawal still waits, and the accept can take the offer meanwhile.
    await t.db.query(`UPDATE offers SET status = 'expired', decided_at = now() WHERE id = $1`, [
      offer.id,
    ]);
    const next = t.db.createQueryRunner();
    await next.connect();
    try {
      const { withdrawal } = await withRowsHeld(
        t,
        'SELECT 1 FROM tickets WHERE id = $1 FOR UPDATE',
        [ticket.id],
        async (pass) => {
          await pass.query(
            `UPDATE offers SET status = 'pending', decided_at = NULL WHERE id = $1`,
            [offer.id],
          );
          await next.startTransaction();
          const queued = next.query('SELECT 1 FROM tickets WHERE id = $1 FOR UPDATE', [ticket.id]);
          await waitForLockWaiters(t, 1, 'the next transaction to queue on the ticket');
          const withdrawal = t.http
            .post(`/v1/escalations/${ticket.externalId}/withdraw`)
            .set('Authorization', `Bearer ${bot}`)
            .send({ reason: 'The customer left' })
            .then();
          await waitForLockWaiters(t, 2, 'the withdrawal to queue on the ticket');
          await pass.commitTransaction();
          await queued;
          return { withdrawal }; // not awaited: it waits on `next`
        },
      );
      const accept = t.http.post(`/v1/offers/${offer.id}/accept`).set(agents[0].auth).then();
      await waitForLockWaiters(t, 2, 'the accept to hold the offer and queue on the ticket');
      await next.commitTransaction();
      const [withdrawn, accepted] = await Promise.all([withdrawal, accept]);
      // Before, the withdrawal took the ticket and waited on the offer the accept held, which
      // waited on the ticket: PostgreSQL ended one of them (409 CONFLICT).
      expect(accepted.status).toBe(200);
      expect(withdrawn.status).toBe(200);
      expect(withdrawn.body.status).toBe('withdrawn');
      expect((await offersOf(ticket.id))[0].status).toBe('accepted');
      const [claim] = await t.db.query(
        'SELECT status, released_by FROM ticket_claims WHERE ticket_id = $1',
        [ticket.id],
      );
      expect(claim).toMatchObject({ status: 'released', released_by: 'withdrawn' });
    } finally {
      if (next.isTransactionActive) await next.rollbackTransaction();
      await next.release();
    }
  });

  it('checking out withdraws the pending offers made on that seat; so does cancelling the shift', async () => {
    const { shiftId, agents } = await liveAgents(
      t,
      acme.auth,
      2,
      {},
      { routing: 'push', offerSeconds: 120 },
    );
    const first = await escalate(t, bot);
    const second = await escalate(t, bot);
    await route();
    const offered = async () =>
      [...(await offersOf(first.id)), ...(await offersOf(second.id))].filter(
        (o) => o.status === 'pending',
      );
    expect(await offered()).toHaveLength(2);
    const leaving = (await offered())[0].agent_id;
    const leaver = agents.find((a) => a.id === leaving)!;
    await t.http.post(`/v1/shifts/${shiftId}/check-out`).set(leaver.auth).expect(200);
    const withdraw = async () => {
      // (TypeORM answers a DELETE … RETURNING with its rows and their count.)
      const [jobs]: [{ payload: JobPayloads['offers.withdraw'] }[], number] = await t.db.query(
        `DELETE FROM outbox WHERE job_name = 'offers.withdraw' AND payload->>'shiftId' = $1
         RETURNING payload`,
        [shiftId],
      );
      expect(jobs).toHaveLength(1);
      return t.app.get(OffersWithdrawHandler).handle(jobs[0].payload);
    };
    expect(await withdraw()).toEqual({ withdrawn: 1 });
    expect((await offered()).map((o) => o.agent_id)).toEqual([
      agents.find((a) => a !== leaver)!.id,
    ]);
    await waitFor(async () => {
      const res = await t.http.get('/v1/events?types=offer.withdrawn').set(leaver.auth);
      return res.body.items?.find(
        (e: { data: { reason: string } }) => e.data.reason === 'left_shift',
      );
    }, 'the offer.withdrawn event');

    await t.http.post(`/v1/shifts/${shiftId}/cancel`).set(acme.auth).send({}).expect(200);
    expect(await withdraw()).toEqual({ withdrawn: 1 });
    expect(await offered()).toEqual([]);
  });

  it("lists only the live shift's offers: one left on a shift checked out of is not shown under the next shift's company", async () => {
    const {
      shiftId,
      agents: [agent],
    } = await liveAgents(t, acme.auth, 1, {}, { routing: 'push', offerSeconds: 120 });
    await escalate(t, bot);
    await route();
    const listed = async () =>
      (await t.http.get('/v1/agents/me/offers').set(agent.auth).expect(200)).body.items;
    expect(await listed()).toHaveLength(1);
    // Checked out, its offer's withdrawal still queued, and checked in on another company's
    // shift: the offer is not that company's, nor at its rate.
    await t.http.post(`/v1/shifts/${shiftId}/check-out`).set(agent.auth).expect(200);
    const other = await registerCompany(t, 'Globex');
    const next = await t.http
      .post('/v1/shifts')
      .set(other.auth)
      .send(shiftBody({ seats: 1, routing: 'push', offerSeconds: 120 }))
      .expect(201);
    await goLive(t, next.body.id, [agent]);
    expect(await listed()).toEqual([]);
  });

  it("an agent who makes room is offered the live company's tickets: another company's ticket resolved, a higher limit, more skills", async () => {
    const globex = await registerCompany(t, 'Globex');
    const globexBot = await createApiKey(t, globex);
    const {
      shiftId: earlier,
      agents: [agent],
    } = await liveAgents(t, globex.auth, 1, { maxConcurrentTickets: 1 });
    const held = await escalate(t, globexBot);
    await t.http.post(`/v1/tickets/${held.id}/claim`).set(agent.auth).expect(200);
    // Off Globex's pull shift (its ticket still held for the handover grace), the agent is
    // checked in on Acme's push shift: full, so Acme's ticket waits.
    await t.http.post(`/v1/shifts/${earlier}/check-out`).set(agent.auth).expect(200);
    const push = await t.http
      .post('/v1/shifts')
      .set(acme.auth)
      .send(shiftBody({ seats: 1, routing: 'push', offerSeconds: 120 }))
      .expect(201);
    await goLive(t, push.body.id, [agent]);
    const waiting = await escalate(t, bot);
    expect(await route()).toEqual({ offered: 0 });
    const routesAsked = async () =>
      (
        await t.db.query(
          `SELECT count(*)::int AS n FROM outbox WHERE job_name = 'offers.route'
              AND payload->>'companyId' = $1`,
          [acme.companyId],
        )
      )[0].n as number;
    const before = await routesAsked();
    // Resolving Globex's ticket makes room: Acme's router is asked (only Globex's was, which
    // has no push shift: Acme's ticket waited for some other event of Acme's).
    await t.http
      .post(`/v1/tickets/${held.id}/resolve`)
      .set(agent.auth)
      .send({ resolutionSummary: 'done' })
      .expect(200);
    expect(await routesAsked()).toBe(before + 1);
    expect(await route()).toEqual({ offered: 1 });
    expect((await offersOf(waiting.id))[0].agent_id).toBe(agent.id);
    // Full again (the offer): a higher limit asks, and so do skills added (one ask for the
    // whole set); a lower limit or a new display name does not.
    await t.http
      .patch('/v1/agents/me/profile')
      .set(agent.auth)
      .send({ maxConcurrentTickets: 2 })
      .expect(200);
    expect(await routesAsked()).toBe(before + 2);
    await t.http
      .patch('/v1/agents/me/profile')
      .set(agent.auth)
      .send({ maxConcurrentTickets: 1, displayName: 'Renamed' })
      .expect(200);
    expect(await routesAsked()).toBe(before + 2);
    await t.http
      .put('/v1/agents/me/skills')
      .set(agent.auth)
      .send({
        skills: [
          { skill: 'refunds', level: 3 },
          { skill: 'billing', level: 2 },
        ],
      })
      .expect(200);
    expect(await routesAsked()).toBe(before + 3);
  });

  it.each(['decline', 'accept', 'withdraw'] as const)(
    'an offer left on a shift checked out of makes room where the agent is live now: answered by %s',
    async (answer) => {
      const {
        shiftId,
        agents: [agent],
      } = await liveAgents(
        t,
        acme.auth,
        1,
        { maxConcurrentTickets: 1 },
        { routing: 'push', offerSeconds: 120 },
      );
      const ticket = await escalate(t, bot);
      await route();
      const [offer] = (await t.http.get('/v1/agents/me/offers').set(agent.auth).expect(200)).body
        .items;
      // Off Acme's shift (the offer's withdrawal still queued), live on Globex's: full, since
      // the standing offer counts in the agent's limit, so Globex's ticket waits.
      await t.http.post(`/v1/shifts/${shiftId}/check-out`).set(agent.auth).expect(200);
      const globex = await registerCompany(t, 'Globex');
      const next = await t.http
        .post('/v1/shifts')
        .set(globex.auth)
        .send(shiftBody({ seats: 1, routing: 'push', offerSeconds: 120 }))
        .expect(201);
      await goLive(t, next.body.id, [agent]);
      await escalate(t, await createApiKey(t, globex));
      expect(await t.app.get(OfferRouter).route(globex.companyId!)).toEqual({ offered: 0 });
      const globexRoutes = async () =>
        (
          await t.db.query(
            `SELECT count(*)::int AS n FROM outbox WHERE job_name = 'offers.route'
                AND payload->>'companyId' = $1`,
            [globex.companyId],
          )
        )[0].n as number;
      const before = await globexRoutes();
      // Declined, accepted (refused: not on the shift) or its ticket withdrawn by Acme's bot.
      const res =
        answer === 'withdraw'
          ? await t.http
              .post(`/v1/escalations/${ticket.externalId}/withdraw`)
              .set('Authorization', `Bearer ${bot}`)
              .send({ reason: 'The customer left' })
          : await t.http
              .post(`/v1/offers/${offer.id}/${answer}`)
              .set(agent.auth)
              .send(answer === 'decline' ? { reason: 'busy' } : undefined);
      expect(res.status).toBe(answer === 'accept' ? 403 : 200);
      // The room the offer held is Globex's now: its router is asked, and offers the ticket.
      expect(await globexRoutes()).toBe(before + 1);
      expect(await t.app.get(OfferRouter).route(globex.companyId!)).toEqual({ offered: 1 });
    },
  );

  it("a check-out waits for a router pass holding the agent, so the pass's offer is withdrawn, never left standing", async () => {
    const {
      shiftId,
      agents: [agent],
    } = await liveAgents(t, acme.auth, 1, {}, { routing: 'push' });
    // A router pass between reading the agent's live seat and committing its offer holds this.
    // Without it the check-out committed at once, and its withdraw job could run before the
    // pass's offer existed.
    const answer = await whileAgentHeld(
      t,
      agent.id,
      () => t.http.post(`/v1/shifts/${shiftId}/check-out`).set(agent.auth),
      'the check-out to wait for the agent',
    );
    expect(answer.status).toBe(200);
  });

  it("locks a shift's pending offers in one order (by id) whoever withdraws them: no deadlock with a suspension", async () => {
    const {
      shiftId,
      agents: [agent],
    } = await liveAgents(t, acme.auth, 1, {}, { routing: 'push' });
    await escalate(t, bot);
    await escalate(t, bot);
    await route();
    await route();
    // Stored oldest first, ids the other way round: the order of the table differs from the
    // ids', as with random ids it often does. (One UPDATE writes the new rows in scan order.)
    const [high, low] = [
      'ffffffff-ffff-4fff-bfff-ffffffffffff',
      '00000000-0000-4000-8000-000000000001',
    ];
    const [, changed] = await t.db.query(
      `UPDATE offers SET id = CASE WHEN created_at = (SELECT min(created_at) FROM offers
                                     WHERE agent_id = $1 AND status = 'pending')
                               THEN $2::uuid ELSE $3::uuid END
        WHERE agent_id = $1 AND status = 'pending'`,
      [agent.id, high, low],
    );
    expect(changed).toBe(2);
    await withRowsHeld(t, 'SELECT 1 FROM offers WHERE id = $1 FOR UPDATE', [high], async (held) => {
      const withdrawing = t.app.get(OffersWithdrawHandler).handle({ shiftId, agentId: null });
      await waitForLockWaiters(t, 1, 'the withdrawal to wait for the held offer');
      // It holds the lower id already: a suspension (its own order) takes the same one first.
      const probe = await t.db
        .query('SELECT 1 FROM offers WHERE id = $1 FOR UPDATE NOWAIT', [low])
        .then(
          () => 'free',
          (e: { code?: string }) => e.code,
        );
      expect(probe).toBe('55P03');
      await held.commitTransaction();
      expect(await withdrawing).toEqual({ withdrawn: 2 });
    });
  });

  it('a router in another process that read the same order does not give an agent a second offer over one who has waited longer', async () => {
    await liveAgents(t, acme.auth, 2, {}, { routing: 'push', offerSeconds: 120 });
    await escalate(t, bot);
    await escalate(t, bot);
    // Two processes' routers read the order before either offered: both see [first, second].
    const order = await t.app
      .get(OfferRoutingRepository)
      .candidateAgents(t.db.manager, acme.companyId!, 10);
    expect(order).toHaveLength(2);
    const router = t.app.get(OfferRouter) as unknown as {
      offerOne: (companyId: string, candidate: (typeof order)[number]) => Promise<unknown>;
    };
    expect(await router.offerOne(acme.companyId!, order[0])).toBe(true);
    // The other process, at the same place in the same order: the first agent has just been
    // offered a ticket (it was offered a second, under its limit of 3).
    expect(await router.offerOne(acme.companyId!, order[0])).toBe('moved');
    expect(await router.offerOne(acme.companyId!, order[1])).toBe(true);
    const offered: { agent_id: string }[] = await t.db.query(
      `SELECT agent_id FROM offers WHERE company_id = $1 AND status = 'pending' ORDER BY created_at`,
      [acme.companyId],
    );
    expect(offered.map((o) => o.agent_id)).toEqual([order[0].agentId, order[1].agentId]);
  });

  it('an agent found to have had work since the order was read is read again, not left with a ticket waiting', async () => {
    const {
      agents: [agent],
    } = await liveAgents(t, acme.auth, 1, {}, { routing: 'push', offerSeconds: 120 });
    const first = await escalate(t, bot);
    const stale = await t.app
      .get(OfferRoutingRepository)
      .candidateAgents(t.db.manager, acme.companyId!, 10);
    expect(await route()).toEqual({ offered: 1 });
    const [offer] = await offersOf(first.id);
    await t.http.post(`/v1/offers/${offer.id}/accept`).set(agent.auth).expect(200);
    // The next ticket: the router's read of the order is from before the offer and the accept
    // (as another process's may be). The agent has room; the run reads the order again.
    const next = await escalate(t, bot);
    const read = jest
      .spyOn(t.app.get(OfferRoutingRepository), 'candidateAgents')
      .mockResolvedValueOnce(stale);
    try {
      expect(await route()).toEqual({ offered: 1 });
    } finally {
      read.mockRestore();
    }
    expect((await offersOf(next.id))[0].agent_id).toBe(agent.id);
  });

  it('concurrent router runs for a company join one run: each ticket offered once', async () => {
    const { agents } = await liveAgents(t, acme.auth, 4, {}, { routing: 'push' });
    for (let i = 0; i < 3; i++) await escalate(t, bot);
    const runs = await Promise.all([route(), route(), route()]);
    expect(runs).toEqual([{ offered: 3 }, { offered: 3 }, { offered: 3 }]);
    const offers = await t.db.query(
      `SELECT agent_id, ticket_id FROM offers WHERE company_id = $1 ORDER BY created_at`,
      [acme.companyId],
    );
    expect(new Set(offers.map((o: { ticket_id: string }) => o.ticket_id)).size).toBe(3);
    // One batch in fairness order: the three idle longest, one ticket each.
    expect(offers.map((o: { agent_id: string }) => o.agent_id)).toEqual(
      agents.slice(0, 3).map((a) => a.id),
    );
  });

  it('decline and expiry move the ticket to the next agent; three expiries set away', async () => {
    const { agents } = await liveAgents(t, acme.auth, 3, {}, { routing: 'push' });
    const ticket = await escalate(t, bot);
    await route();
    let [first] = await offersOf(ticket.id);
    expect(first.agent_id).toBe(agents[0].id);
    const declined = await t.http
      .post(`/v1/offers/${first.id}/decline`)
      .set(agents[0].auth)
      .send({ reason: 'Not my area' })
      .expect(200);
    expect(declined.body.status).toBe('declined');
    await route();
    const chain = await offersOf(ticket.id);
    expect(chain.map((o) => o.agent_id)).toEqual([agents[0].id, agents[1].id]);
    await expect(expire(chain[1].id)).resolves.toEqual({ expired: true, away: false });
    await route();
    const after = await offersOf(ticket.id);
    expect(after[2].agent_id).toBe(agents[2].id);
    // agents[2] lets three offers expire in a row: set away with an event.
    [first] = [after[2]];
    await expire(first.id);
    for (let i = 0; i < 2; i++) {
      const next = await escalate(t, bot);
      await t.db.query(`UPDATE shift_claims SET availability = 'away' WHERE agent_id <> $1`, [
        agents[2].id,
      ]);
      await route();
      const [o] = await offersOf(next.id);
      expect(o.agent_id).toBe(agents[2].id);
      const res = await expire(o.id);
      expect(res.away).toBe(i === 1);
    }
    const mine = await t.http.get('/v1/agents/me/availability').set(agents[2].auth).expect(200);
    expect(mine.body).toMatchObject({ status: 'away', awayReason: 'three_offers_expired' });
    const away = await waitFor(async () => {
      const res = await t.http.get('/v1/events?types=agent.away').set(agents[2].auth);
      return res.body.items?.[0] as { data: { reason: string } } | undefined;
    }, 'the agent.away event');
    expect(away.data.reason).toBe('three_offers_expired');
    // The agent's own: not its company's, nor its bot's.
    for (const auth of [acme.auth, { Authorization: `Bearer ${bot}` }]) {
      const res = await t.http.get('/v1/events?types=agent.away').set(auth).expect(200);
      expect(res.body.items).toEqual([]);
    }
  });

  it('three in a row counts offers in the order they were answered: an accept of the later of two, then three expiries, sets away', async () => {
    const {
      agents: [agent],
    } = await liveAgents(t, acme.auth, 1, { maxConcurrentTickets: 2 }, { routing: 'push' });
    await escalate(t, bot);
    await escalate(t, bot);
    await route();
    const pending = async (): Promise<{ id: string }[]> =>
      t.db.query(
        `SELECT id FROM offers WHERE agent_id = $1 AND status = 'pending' ORDER BY created_at`,
        [agent.id],
      );
    const [older, later] = await pending();
    expect(later).toBeDefined();
    await t.http.post(`/v1/offers/${later.id}/accept`).set(agent.auth).expect(200);
    await expect(expire(older.id)).resolves.toEqual({ expired: true, away: false });
    for (const away of [false, true]) {
      await escalate(t, bot);
      await route();
      const [next] = await pending();
      await expect(expire(next.id)).resolves.toEqual({ expired: true, away });
    }
  });

  it('a run that reaches its pass limit with work left asks for another run', async () => {
    const router = t.app.get(OfferRouter) as unknown as {
      pass: (companyId: string) => Promise<{ made: number; stale: boolean }>;
    };
    const routing = t.app.get(OfferRoutingRepository);
    // Each pass cut short after one offer (a slow database), tickets left every time.
    const pass = jest.spyOn(router, 'pass').mockResolvedValue({ made: 1, stale: false });
    const left = jest.spyOn(routing, 'hasUnofferedTicket').mockResolvedValue(true);
    try {
      await expect(route()).resolves.toEqual({ offered: 200 });
    } finally {
      pass.mockRestore();
      left.mockRestore();
    }
    const jobs = await t.db.query(
      `SELECT 1 FROM outbox WHERE job_name = 'offers.route' AND payload->>'companyId' = $1`,
      [acme.companyId],
    );
    expect(jobs.length).toBeGreaterThan(0);
  });

  it("the expiry job waits for the agent's lock, as a router pass holds it until its offer commits", async () => {
    const { agents } = await liveAgents(t, acme.auth, 1, {}, { routing: 'push' });
    const ticket = await escalate(t, bot);
    await route();
    const [offer] = await offersOf(ticket.id);
    // Held as a router pass or an accept holds it: the expiry queues behind, and sees what the
    // holder committed (here the offer decided) instead of expiring it.
    const answer = await whileAgentHeld(
      t,
      agents[0].id,
      () => expire(offer.id),
      'the expiry job to wait for the agent',
      (held) =>
        held.query(`UPDATE offers SET status = 'declined', decided_at = now() WHERE id = $1`, [
          offer.id,
        ]),
    );
    expect(answer).toEqual({ expired: false, away: false });
  });

  it('an offer that ran out cannot be declined before its expiry job: it counts as expired', async () => {
    const { agents } = await liveAgents(t, acme.auth, 1, {}, { routing: 'push' });
    const ticket = await escalate(t, bot);
    await route();
    const [offer] = await offersOf(ticket.id);
    await t.db.query(`UPDATE offers SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      offer.id,
    ]);
    const late = await t.http
      .post(`/v1/offers/${offer.id}/decline`)
      .set(agents[0].auth)
      .send({ reason: 'Too late to say' })
      .expect(409);
    expect(late.body.error.code).toBe('OFFER_EXPIRED');
    expect((await offersOf(ticket.id))[0].status).toBe('pending');
    await expect(expire(offer.id)).resolves.toMatchObject({ expired: true });
    expect((await offersOf(ticket.id))[0].status).toBe('expired');
  });

  it('an agent never holds pending offers plus active tickets beyond its limit', async () => {
    const { agents } = await liveAgents(
      t,
      acme.auth,
      1,
      { maxConcurrentTickets: 2 },
      {
        routing: 'push',
      },
    );
    for (let i = 0; i < 4; i++) await escalate(t, bot);
    expect(await route()).toEqual({ offered: 2 });
    const pending = await t.db.query(
      `SELECT count(*)::int AS n FROM offers WHERE agent_id = $1 AND status = 'pending'`,
      [agents[0].id],
    );
    expect(pending[0].n).toBe(2);
  });
});
