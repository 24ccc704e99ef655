import { createStaff, registerAgent, registerCompany, SignedIn } from './support/factories';
import { waitFor } from './support/wait-for';
import { waitForLockWaiters, withRowsHeld } from './support/row-locks';
import { postShift, setProfile } from './support/shifts';
import { createApiKey } from './support/factories';
import { escalate, liveAgents } from './support/tickets';
import { createTestApp, TestApp } from './support/test-app';

describe('suspending an agent ends its work', () => {
  let t: TestApp;
  let company: SignedIn;
  let admin: SignedIn;
  let key: string;
  beforeAll(async () => {
    t = await createTestApp({ workers: true, env: { OUTBOX_POLL_MS: '100' } });
    company = await registerCompany(t);
    admin = await createStaff(t, 'admin');
    key = await createApiKey(t, company);
    // Deliveries are recorded whether or not anything listens there.
    await t.http
      .put('/v1/companies/me/webhook')
      .set(company.auth)
      .send({ url: 'http://127.0.0.1:9/hook' })
      .expect(200);
  });
  afterAll(async () => {
    await t.close();
  });

  it('releases its tickets (the company hears of each), cancels its seats, frees them for the waitlist, and refuses its heartbeat and resolve', async () => {
    const {
      shiftId: liveShift,
      agents: [agent],
    } = await liveAgents(t, company.auth, 1);
    const tickets = [await escalate(t, key), await escalate(t, key)];
    for (const ticket of tickets) {
      await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);
    }
    // A seat tomorrow on a one-seat shift, with another agent waiting for it.
    const tomorrow = await postShift(t, company, { seats: 1 });
    await t.http.post(`/v1/shifts/${tomorrow.id}/claims`).set(agent.auth).expect(201);
    const waiting = await registerAgent(t);
    await setProfile(t, waiting, { languages: ['en'] });
    await t.http.post(`/v1/shifts/${tomorrow.id}/waitlist`).set(waiting.auth).expect(201);

    const res = await t.http
      .post(`/v1/agents/${agent.id}/suspend`)
      .set(admin.auth)
      .send({ reason: 'abusive language' })
      .expect(200);
    expect(res.body.suspendedReason).toBe('abusive language');

    for (const ticket of tickets) {
      const now = await t.http.get(`/v1/tickets/${ticket.id}`).set(company.auth).expect(200);
      expect(now.body).toMatchObject({ status: 'open' });
      expect(now.body.claims[0]).toMatchObject({ status: 'released', releasedBy: 'suspension' });
    }
    const claims: { shift_id: string; status: string; cancelled_by: string | null }[] =
      await t.db.query(
        `SELECT shift_id, status, cancelled_by FROM shift_claims WHERE agent_id = $1`,
        [agent.id],
      );
    expect(claims.map((c) => [c.shift_id, c.status, c.cancelled_by]).sort()).toEqual(
      [
        [liveShift, 'cancelled', 'suspension'],
        [tomorrow.id, 'cancelled', 'suspension'],
      ].sort(),
    );
    // The freed seat goes to the agent waiting for it, by a job the suspension wrote.
    const promoted = await waitFor(async () => {
      const mine = await t.http.get('/v1/agents/me/claims').set(waiting.auth).expect(200);
      return mine.body.items.length > 0 && mine.body.items;
    }, 'the waiting agent promoted');
    expect(promoted).toMatchObject([{ shiftId: tomorrow.id, source: 'waitlist' }]);
    // Not the agent's choice: nothing against its reliability.
    const reliability = await t.http.get('/v1/agents/me/reliability').set(agent.auth);
    expect(reliability.body).toMatchObject({ lateCancellations: 0, cancellations: 0 });

    for (const action of ['heartbeat', 'resolve']) {
      const refused = await t.http
        .post(`/v1/tickets/${tickets[0].id}/${action}`)
        .set(agent.auth)
        .send(action === 'resolve' ? { resolutionSummary: 'done' } : undefined)
        .expect(403);
      expect(refused.body.error.code).toBe('AGENT_SUSPENDED');
    }
    const next = await t.http.post('/v1/agents/me/tickets/claim-next').set(agent.auth).expect(403);
    expect(next.body.error).toMatchObject({ code: 'NOT_ELIGIBLE' });

    // The company's webhook receives a ticket.released for each, saying why.
    const deliveries = await waitFor(async () => {
      const rows: { payload: { data: { ticketId: string; data: { releasedBy: string } } } }[] =
        await t.db.query(
          `SELECT payload FROM webhook_deliveries
            WHERE company_id = $1 AND event_type = 'ticket.released'`,
          [company.companyId],
        );
      return rows.length === 2 && rows;
    }, 'two ticket.released deliveries');
    expect(deliveries.map((d) => d.payload.data.data.releasedBy)).toEqual([
      'suspension',
      'suspension',
    ]);
    expect(deliveries.map((d) => d.payload.data.ticketId).sort()).toEqual(
      tickets.map((x) => x.id).sort(),
    );

    // Told, not only cut off: its console reads its seats and shifts again on this event.
    const typesOf = async () =>
      (await t.http.get('/v1/events?types=agent.suspended,agent.reinstated').set(agent.auth)).body
        .items as { type: string; data: Record<string, unknown> }[];
    const told = await waitFor(async () => {
      const items = await typesOf();
      return items.length === 1 && items;
    }, 'the agent told of its suspension');
    expect(told).toMatchObject([{ type: 'agent.suspended', data: { reason: 'abusive language' } }]);

    // Reinstated, it can work again (a fresh seat, not the cancelled ones), and is told once.
    // Two at once (two admins, a double click): one lifts it, the other finds it lifted.
    await Promise.all(
      [1, 2].map(() => t.http.post(`/v1/agents/${agent.id}/reinstate`).set(admin.auth).expect(200)),
    );
    const both = await waitFor(async () => {
      const items = await typesOf();
      return items.length >= 2 && items;
    }, 'the agent told of its reinstatement');
    expect(both.map((e) => e.type)).toEqual(['agent.suspended', 'agent.reinstated']);
    // Written in the reinstatements' transactions, so counted at once: one, not two.
    const written = await t.db.query(
      `SELECT type FROM events WHERE agent_id = $1 AND type LIKE 'agent.%' ORDER BY occurred_at`,
      [agent.id],
    );
    expect(written).toEqual([{ type: 'agent.suspended' }, { type: 'agent.reinstated' }]);
    const again = await postShift(t, company, { seats: 1 });
    await t.http.post(`/v1/shifts/${again.id}/claims`).set(agent.auth).expect(201);
  });

  it('suspends an agent already suspended once: the same reason again changes nothing, a new one replaces it and tells the agent', async () => {
    const agent = await registerAgent(t);
    const suspend = (reason: string) =>
      t.http.post(`/v1/agents/${agent.id}/suspend`).set(admin.auth).send({ reason }).expect(200);
    const first = await suspend('chargeback fraud');
    // Two admins at once, or a page not reloaded: each answers the suspension as it stands.
    const [a, b] = await Promise.all([suspend('chargeback fraud'), suspend('chargeback fraud')]);
    for (const res of [a, b]) {
      expect(res.body).toMatchObject({
        suspendedAt: first.body.suspendedAt,
        suspendedReason: 'chargeback fraud',
      });
    }
    const corrected = await suspend('payment fraud');
    expect(corrected.body).toMatchObject({
      suspendedAt: first.body.suspendedAt,
      suspendedReason: 'payment fraud',
    });
    const written = await t.db.query(
      `SELECT data->>'reason' AS reason FROM events
        WHERE agent_id = $1 AND type = 'agent.suspended' ORDER BY seq`,
      [agent.id],
    );
    expect(written).toEqual([{ reason: 'chargeback fraud' }, { reason: 'payment fraud' }]);
    // Its streams were ended once, by the first: nothing more to end.
    const jobs = await t.db.query(
      `SELECT count(*)::int AS n FROM outbox WHERE job_name = 'events.end-streams' AND payload::text LIKE $1`,
      [`%${agent.id}%`],
    );
    expect(jobs).toEqual([{ n: 1 }]);
  });

  it("answers a suspended agent's retry of a resolution whose answer was lost as the first time; any other resolve is refused", async () => {
    const {
      agents: [agent],
    } = await liveAgents(t, company.auth, 1);
    const ticket = await escalate(t, key);
    await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);
    const resolve = (resolutionSummary: string) =>
      t.http.post(`/v1/tickets/${ticket.id}/resolve`).set(agent.auth).send({ resolutionSummary });
    const first = await resolve('Refund sent').expect(200);
    await t.http
      .post(`/v1/agents/${agent.id}/suspend`)
      .set(admin.auth)
      .send({ reason: 'under review' })
      .expect(200);
    // Its resolution (and pay) stands: the retry is told so, not AGENT_SUSPENDED.
    expect((await resolve(' Refund sent ').expect(200)).body).toEqual(first.body);
    const other = await resolve('Something else').expect(403);
    expect(other.body.error.code).toBe('AGENT_SUSPENDED');
  });

  it('answers a suspension or a reinstatement retried with its Idempotency-Key as the first, never undoing what another admin did meanwhile', async () => {
    const agent = await registerAgent(t);
    const other = await createStaff(t, 'admin');
    const suspend = () =>
      t.http
        .post(`/v1/agents/${agent.id}/suspend`)
        .set(admin.auth)
        .set('Idempotency-Key', `suspend-${agent.id}`)
        .send({ reason: 'under review' });
    const first = await suspend().expect(200);
    await t.http.post(`/v1/agents/${agent.id}/reinstate`).set(other.auth).expect(200);
    // The first admin's retry (its answer was lost): the first answer, and the agent stays
    // reinstated.
    expect((await suspend().expect(200)).body).toEqual(first.body);
    const profile = async () =>
      (
        await t.db.query(
          'SELECT suspended_at AS "suspendedAt", suspended_reason AS "suspendedReason" FROM agents WHERE user_id = $1',
          [agent.id],
        )
      )[0];
    expect(await profile()).toMatchObject({ suspendedAt: null });

    const reinstate = () =>
      t.http
        .post(`/v1/agents/${agent.id}/reinstate`)
        .set(admin.auth)
        .set('Idempotency-Key', `reinstate-${agent.id}`);
    await t.http
      .post(`/v1/agents/${agent.id}/suspend`)
      .set(other.auth)
      .send({ reason: 'first report' })
      .expect(200);
    const back = await reinstate().expect(200);
    await t.http
      .post(`/v1/agents/${agent.id}/suspend`)
      .set(other.auth)
      .send({ reason: 'second report' })
      .expect(200);
    expect((await reinstate().expect(200)).body).toEqual(back.body);
    expect(await profile()).toMatchObject({ suspendedReason: 'second report' });
  });

  it('leaves alone a claim that ended while the suspension waited for its ticket', async () => {
    const {
      agents: [agent],
    } = await liveAgents(t, company.auth, 1);
    const ticket = await escalate(t, key);
    await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);
    // Another transaction holds the ticket: the suspension reads the agent's claims, then waits.
    const suspended = await withRowsHeld(
      t,
      'SELECT 1 FROM tickets WHERE id = $1 FOR UPDATE',
      [ticket.id],
      async (held) => {
        const suspending = suspend(agent);
        await waitForLockWaiters(t, 1, 'the suspension to wait for the ticket');
        // Meanwhile the agent's resolve commits (the suspension, not committed, is not seen).
        const [{ outcome }] = await held.query(
          `SELECT outcome FROM resolve_ticket($1, $2, 'Refunded', NULL, NULL, NULL)`,
          [ticket.id, agent.id],
        );
        expect(outcome).toBe('resolved');
        await held.commitTransaction();
        return suspending;
      },
    );
    expect(suspended.status).toBe(200);
    const now = await t.http.get(`/v1/tickets/${ticket.id}`).set(company.auth).expect(200);
    expect(now.body).toMatchObject({ status: 'resolved' });
    expect(now.body.claims).toHaveLength(1);
    expect(now.body.claims[0]).toMatchObject({ status: 'resolved', releasedBy: null });
  });

  it('cancels a seat the agent claimed while the suspension waited for the agent', async () => {
    const agent = await registerAgent(t);
    await setProfile(t, agent, { languages: ['en'], skills: [{ skill: 'refunds', level: 3 }] });
    const shift = await postShift(t, company, { seats: 2 });
    // Another transaction holds the agent: the seat claim queues for it first, then the
    // suspension (which has read the agent's seats: none yet).
    const [claimed, suspended] = await withRowsHeld(
      t,
      'SELECT 1 FROM agents WHERE user_id = $1 FOR NO KEY UPDATE',
      [agent.id],
      async (held) => {
        const claiming = t.http
          .post(`/v1/shifts/${shift.id}/claims`)
          .set(agent.auth)
          .then((r) => r);
        await waitForLockWaiters(t, 1, 'the seat claim to wait');
        const suspending = suspend(agent);
        await waitForLockWaiters(t, 2, 'the suspension to wait');
        await held.commitTransaction();
        return Promise.all([claiming, suspending]);
      },
    );
    expect(suspended.status).toBe(200);
    // Whichever got the agent first, a suspended agent holds no seat, and the seat is free.
    expect([201, 403]).toContain(claimed.status);
    const seats = await t.db.query(
      `SELECT status, cancelled_by FROM shift_claims WHERE agent_id = $1`,
      [agent.id],
    );
    expect(seats.filter((c: { status: string }) => c.status !== 'cancelled')).toEqual([]);
    const detail = await t.http.get(`/v1/shifts/${shift.id}`).set(company.auth).expect(200);
    expect(detail.body.seatsTaken).toBe(0);
  });

  /** The admin suspends the agent; the answer when it comes. */
  const suspend = (agent: SignedIn) =>
    t.http
      .post(`/v1/agents/${agent.id}/suspend`)
      .set(admin.auth)
      .send({ reason: 'fraud' })
      .then((r) => r);
});
