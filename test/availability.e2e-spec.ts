import { ShiftCompleteHandler } from '../src/modules/shifts/shift-timers.handlers';
import { registerCompany, SignedIn } from './support/factories';
import { inMinutes, moveShift, nearItsEnd, postShift } from './support/shifts';
import { liveAgents } from './support/tickets';
import { createTestApp, TestApp } from './support/test-app';
import { whileAgentHeld } from './support/row-locks';

/** Availability on a checked-in seat, time away, and time away past the cap in reliability. */
describe('availability and time away', () => {
  let t: TestApp;
  let acme: SignedIn;
  beforeAll(async () => {
    t = await createTestApp();
  });
  beforeEach(async () => {
    acme = await registerCompany(t, 'Acme');
  });
  afterAll(async () => {
    await t.close();
  });

  const availability = (agent: SignedIn, status?: 'away' | 'available') =>
    status
      ? t.http.put('/v1/agents/me/availability').set(agent.auth).send({ status }).expect(200)
      : t.http.get('/v1/agents/me/availability').set(agent.auth).expect(200);
  /** Moves the running break's start back, as if the agent went away `minutes` ago. */
  const awayFor = (agent: SignedIn, minutes: number) =>
    t.db.query(
      `UPDATE shift_claims SET availability_changed_at = now() - make_interval(mins => $2)
        WHERE agent_id = $1 AND status = 'checked_in'`,
      [agent.id, minutes],
    );
  const reliability = async (agent: SignedIn) =>
    (await t.http.get('/v1/agents/me/reliability').set(agent.auth).expect(200)).body;

  it('counts a break, reports time past the cap, and counts the seat against reliability', async () => {
    const { shiftId, agents } = await liveAgents(t, acme.auth, 3, {}, { maxAwayMinutes: 10 });
    // An hour in: breaks count only within the seat's time.
    await moveShift(t, shiftId, inMinutes(-60), inMinutes(60));
    const [within, over, stillAway] = agents;
    for (const a of agents) await availability(a, 'away');
    await awayFor(within, 9);
    await awayFor(over, 12);
    await awayFor(stillAway, 15);
    for (const a of [within, over]) await availability(a, 'available');
    const shown = await availability(over);
    expect(shown.body).toMatchObject({ status: 'available', maxAwayMinutes: 10, routing: 'pull' });
    expect(shown.body.awaySeconds).toBeGreaterThanOrEqual(720);
    expect(shown.body.awayOverCapSeconds).toBeGreaterThanOrEqual(120);
    expect((await availability(within)).body.awayOverCapSeconds).toBe(0);
    // A repeat of the current state changes nothing (no second break is opened).
    await availability(within, 'available');
    expect((await availability(within)).body.awaySeconds).toBeLessThan(600);

    await nearItsEnd(t, shiftId);
    for (const a of agents) {
      await t.http.post(`/v1/shifts/${shiftId}/check-out`).set(a.auth).expect(200);
    }
    expect(await reliability(within)).toMatchObject({ completed: 1, awayOverCap: 0, raw: 1 });
    expect(await reliability(over)).toMatchObject({ completed: 1, awayOverCap: 1, raw: 0 });
    // Checked out while still away: the running break counts up to the check-out.
    expect(await reliability(stillAway)).toMatchObject({ completed: 1, awayOverCap: 1, raw: 0 });
  });

  /**
   * An agent on a break since 8 minutes before the end of a shift (cap 10) that ended 3 minutes
   * ago, its seat not completed yet (the completion job behind).
   */
  const awayAcrossTheEnd = async () => {
    const {
      shiftId,
      agents: [agent],
    } = await liveAgents(t, acme.auth, 1, {}, { maxAwayMinutes: 10 });
    await availability(agent, 'away');
    await moveShift(t, shiftId, inMinutes(-120), inMinutes(-3));
    await awayFor(agent, 11);
    return { shiftId, agent };
  };

  it('counts a break still running at the end of the shift up to the end, however late the shift completes', async () => {
    const { shiftId, agent } = await awayAcrossTheEnd();
    expect(await t.app.get(ShiftCompleteHandler).handle({ shiftId })).toEqual({ completed: true });
    expect(await reliability(agent)).toMatchObject({ completed: 1, awayOverCap: 0, raw: 1 });
    // Completed at its end: nobody ended it early.
    const seats = await t.http.get('/v1/agents/me/claims').set(agent.auth).expect(200);
    expect(seats.body.items).toMatchObject([{ status: 'completed', endedBy: null }]);
  });

  it('counts a break running at a check-out after the end only up to the end, as the completion job does', async () => {
    const { shiftId, agent } = await awayAcrossTheEnd();
    await t.http.post(`/v1/shifts/${shiftId}/check-out`).set(agent.auth).expect(200);
    expect(await reliability(agent)).toMatchObject({ completed: 1, awayOverCap: 0, raw: 1 });
  });

  it('carries a break into the next shift checked into early, counting it from that shift’s start', async () => {
    const {
      shiftId: first,
      agents: [earlyIn, awayFirst],
    } = await liveAgents(t, acme.auth, 2);
    await moveShift(t, first, inMinutes(-60), inMinutes(10));
    const next = await postShift(t, acme, { seats: 2 });
    for (const a of [earlyIn, awayFirst]) {
      await t.http.post(`/v1/shifts/${next.id}/claims`).set(a.auth).expect(201);
    }
    await moveShift(t, next.id, inMinutes(10), inMinutes(130)); // right after the first
    // One checks in for the next shift, then takes a break; the other the other way round.
    await t.http.post(`/v1/shifts/${next.id}/check-in`).set(earlyIn.auth).expect(200);
    await availability(earlyIn, 'away');
    await availability(awayFirst, 'away');
    await t.http.post(`/v1/shifts/${next.id}/check-in`).set(awayFirst.auth).expect(200);
    await awayFor(earlyIn, 30);
    await awayFor(awayFirst, 30);

    // The first shift ends before the next begins: the break shows on the next seat, and the
    // agent can end it there (no seat is live to come back on).
    await moveShift(t, first, inMinutes(-120), inMinutes(-1));
    const [carried]: { availability: string }[] = await t.db.query(
      'SELECT availability FROM shift_claims WHERE shift_id = $1 AND agent_id = $2',
      [next.id, earlyIn.id],
    );
    expect(carried.availability).toBe('away');
    // (The desk reads only a live seat: it waits for the start.)
    await t.http.get('/v1/agents/me/availability').set(earlyIn.auth).expect(409);
    // The seat says so, where the desk looks for a seat checked into early.
    const seatOf = async (agent: SignedIn, status: string) =>
      (
        await t.http.get('/v1/agents/me/claims').query({ status }).set(agent.auth).expect(200)
      ).body.items.find((c: { shiftId: string }) => c.shiftId === next.id);
    expect(await seatOf(earlyIn, 'checked_in')).toMatchObject({ availability: 'away' });
    expect((await availability(earlyIn, 'available')).body).toMatchObject({
      shiftId: next.id,
      status: 'available',
      awaySeconds: 0,
    });
    expect(await seatOf(earlyIn, 'checked_in')).toMatchObject({ availability: 'available' });
    // The next shift began a minute ago.
    await moveShift(t, next.id, inMinutes(-1), inMinutes(119));
    expect((await availability(earlyIn)).body).toMatchObject({
      shiftId: next.id,
      status: 'available',
      awaySeconds: 0,
    });
    const now = (await availability(awayFirst)).body;
    expect(now).toMatchObject({ shiftId: next.id, status: 'away' });
    // Away for 30 minutes, of which one on this shift.
    expect(now.awaySeconds).toBeGreaterThanOrEqual(55);
    expect(now.awaySeconds).toBeLessThan(300);
    await availability(awayFirst, 'available');
    expect((await availability(awayFirst)).body).toMatchObject({ status: 'available' });
  });

  it('a check-in sees a break ended while it waited for the agent', async () => {
    const {
      shiftId: first,
      agents: [agent],
    } = await liveAgents(t, acme.auth, 1);
    await moveShift(t, first, inMinutes(-60), inMinutes(10));
    const next = await postShift(t, acme);
    await t.http.post(`/v1/shifts/${next.id}/claims`).set(agent.auth).expect(201);
    await moveShift(t, next.id, inMinutes(10), inMinutes(130));
    await availability(agent, 'away');
    // The agent comes back (its lock held, as the availability change holds it) while the
    // check-in for the next shift is on its way: the check-in waits, then sees it back.
    const checkIn = await whileAgentHeld(
      t,
      agent.id,
      () => t.http.post(`/v1/shifts/${next.id}/check-in`).set(agent.auth),
      'the check-in waiting for the agent',
      (held) =>
        held.query(
          `UPDATE shift_claims SET availability = 'available', availability_changed_at = now()
            WHERE shift_id = $1 AND agent_id = $2`,
          [first, agent.id],
        ),
    );
    expect(checkIn.status).toBe(200);
    const [seat]: { availability: string }[] = await t.db.query(
      'SELECT availability FROM shift_claims WHERE shift_id = $1 AND agent_id = $2',
      [next.id, agent.id],
    );
    expect(seat.availability).toBe('available');
  });

  it('without a cap, time away never counts against reliability', async () => {
    const { shiftId, agents } = await liveAgents(t, acme.auth, 1);
    await availability(agents[0], 'away');
    await awayFor(agents[0], 600);
    await availability(agents[0], 'available');
    const shown = (await availability(agents[0])).body;
    expect(shown).toMatchObject({ maxAwayMinutes: null, awayOverCapSeconds: 0 });
    // The shift's end, for a console to read the availability again then.
    const [{ ends_at }] = await t.db.query('SELECT ends_at FROM shifts WHERE id = $1', [shiftId]);
    expect(shown.shiftEndsAt).toBe((ends_at as Date).toISOString());
    await nearItsEnd(t, shiftId);
    await t.http.post(`/v1/shifts/${shiftId}/check-out`).set(agents[0].auth).expect(200);
    expect(await reliability(agents[0])).toMatchObject({ awayOverCap: 0, raw: 1 });
  });
  it('going away waits for a router pass holding the agent, so no offer lands on an agent away', async () => {
    const {
      agents: [agent],
    } = await liveAgents(t, acme.auth, 1, {}, { routing: 'push' });
    const answer = await whileAgentHeld(
      t,
      agent.id,
      () => t.http.put('/v1/agents/me/availability').set(agent.auth).send({ status: 'away' }),
      'going away to wait for the agent',
    );
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('away');
  });
});
