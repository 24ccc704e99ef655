import { createApiKey, registerAgent, registerCompany } from './support/factories';
import { nearItsEnd, postShift, setProfile } from './support/shifts';
import { createTestApp, type TestApp } from './support/test-app';
import { liveAgents, resolvedTicket } from './support/tickets';

/**
 * Pay that shows per hour (issue 19): a completed seat's effective hourly earnings (earned ÷
 * checked-in time less time away), and an open shift's expected hourly pay from its company's
 * history, marked as an estimate, or no history yet.
 */
describe('pay per hour', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('a completed seat shows what it earned per worked hour; open shifts an estimate from history', async () => {
    const company = await registerCompany(t, 'Hourly Co');
    const key = await createApiKey(t, company);
    const { shiftId, agents } = await liveAgents(t, company.auth, 1);
    const [agent] = agents;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await resolvedTicket(t, key, agent)).id);
    // One reopened: its pay is clawed back, so it is not earned.
    await t.http
      .post(`/v1/tickets/${ids[0]}/reopen`)
      .set(company.auth)
      .send({ reason: 'Not fixed' })
      .expect(200);
    // Two hours into the seat, checked in 10 minutes before it began (not worked time), half
    // an hour of it away.
    await t.db.query(
      `UPDATE shift_claims SET checked_in_at = now() - interval '130 minutes', away_seconds = 1800,
              period = tstzrange(now() - interval '2 hours', upper(period), '[)')
        WHERE shift_id = $1 AND agent_id = $2`,
      [shiftId, agent.id],
    );
    await nearItsEnd(t, shiftId);
    await t.http.post(`/v1/shifts/${shiftId}/check-out`).set(agent.auth).expect(200);

    const seats = (await t.http.get('/v1/agents/me/claims').set(agent.auth).expect(200)).body
      .items as Record<string, unknown>[];
    const seat = seats.find((s) => s.shiftId === shiftId)!;
    expect(seat.status).toBe('completed');
    const worked = seat.workedSeconds as number;
    expect(Math.abs(worked - 5400)).toBeLessThanOrEqual(5);
    expect(seat.earned).toEqual({ amountMinor: 500, currency: 'EUR' });
    expect(seat.effectiveHourly).toEqual({
      amountMinor: Math.round((500 * 3600) / worked),
      currency: 'EUR',
    });

    // The next shift of the company, seen by another agent: 2 resolutions over the worked
    // hours, at this shift's rate.
    const next = await postShift(t, company, {
      ratePerTicket: { amountMinor: 300, currency: 'EUR' },
    });
    const other = await registerCompany(t, 'New Co');
    const fresh = await postShift(t, other);
    const looking = await registerAgent(t);
    await setProfile(t, looking, {});
    const open = (await t.http.get('/v1/shifts/open?limit=100').set(looking.auth).expect(200)).body
      .items as { id: string; expectedHourly: Record<string, unknown> }[];
    const perHour = 2 / (worked / 3600);
    expect(open.find((s) => s.id === next.id)!.expectedHourly).toEqual({
      estimate: true,
      amount: { amountMinor: Math.round(300 * perHour), currency: 'EUR' },
      resolutionsPerAgentHour: Math.round(perHour * 100) / 100,
      agentHours: Math.round((worked / 3600) * 10) / 10,
    });
    expect(open.find((s) => s.id === fresh.id)!.expectedHourly).toEqual({
      estimate: true,
      amount: null,
      resolutionsPerAgentHour: null,
      agentHours: 0,
    });
  });

  it('matches the hours it counts with the resolutions of the same agents: not those of one still working', async () => {
    const company = await registerCompany(t, 'Busy Desk Co');
    const key = await createApiKey(t, company);
    const {
      shiftId,
      agents: [left, working],
    } = await liveAgents(t, company.auth, 2);
    for (let i = 0; i < 3; i++) await resolvedTicket(t, key, working);
    // Two hours into the seat, the first agent leaves (claims still open), having resolved 1.
    await resolvedTicket(t, key, left);
    await t.db.query(
      `UPDATE shift_claims SET checked_in_at = now() - interval '2 hours',
              period = tstzrange(now() - interval '2 hours', upper(period), '[)')
        WHERE shift_id = $1`,
      [shiftId],
    );
    const out = await t.http.post(`/v1/shifts/${shiftId}/check-out`).set(left.auth).expect(200);
    expect(out.body.status).toBe('left_early');
    const next = await postShift(t, company, {
      ratePerTicket: { amountMinor: 400, currency: 'EUR' },
    });
    const looking = await registerAgent(t);
    await setProfile(t, looking, {});
    const open = (await t.http.get('/v1/shifts/open?limit=100').set(looking.auth).expect(200)).body
      .items as { id: string; expectedHourly: { resolutionsPerAgentHour: number } }[];
    // 1 resolution over the leaver's 2 hours (before: all 4 of the shift's, 2 an hour).
    expect(open.find((s) => s.id === next.id)!.expectedHourly).toMatchObject({
      resolutionsPerAgentHour: 0.5,
      agentHours: 2,
      amount: { amountMinor: 200, currency: 'EUR' },
    });
  });

  it("sums a company's worked time past an int's range without failing the open shifts", async () => {
    const company = await registerCompany(t, 'Vast Co');
    const { shiftId, agents } = await liveAgents(t, company.auth, 2);
    await nearItsEnd(t, shiftId);
    for (const a of agents) {
      await t.http.post(`/v1/shifts/${shiftId}/check-out`).set(a.auth).expect(200);
    }
    // Two seats of 40 years each: 2.5 billion seconds together (an int holds 2.1 billion). A
    // large company's 90 days of seats reach it too, only with more rows.
    await t.db.query(
      `UPDATE shift_claims SET checked_in_at = checked_out_at - interval '40 years',
              period = tstzrange(checked_out_at - interval '40 years', upper(period), '[)')
        WHERE shift_id = $1`,
      [shiftId],
    );
    await postShift(t, company);
    const looking = await registerAgent(t);
    await setProfile(t, looking, {});
    await t.http.get('/v1/shifts/open?limit=100').set(looking.auth).expect(200);
  });
});
