import { AGENT_QUALITY, type AgentQualityReader } from '../src/common/quality/agent-quality';
import { createApiKey, registerCompany, type SignedIn } from './support/factories';
import { inMinutes, postShift, shiftBody } from './support/shifts';
import { createTestApp, type TestApp } from './support/test-app';
import { liveAgents, resolvedTicket } from './support/tickets';
import { withApiClockOff } from './support/clock';

/**
 * A shift's quality gates (issue 19): a minimum score, and early access for the best-rated
 * agents for some hours after posting. Both hold alike in the open-shifts list and the claim.
 */
describe('quality gates on shifts', () => {
  let t: TestApp;
  let company: SignedIn;
  /** Scores, by construction: 0.75, 0.25 and 0.5 (no input: the platform mean, 0.5). */
  let high: SignedIn;
  let low: SignedIn;
  let newcomer: SignedIn;

  beforeAll(async () => {
    t = await createTestApp();
    company = await registerCompany(t, 'Gated Co');
    const key = await createApiKey(t, company);
    const { agents } = await liveAgents(t, company.auth, 3);
    [high, low, newcomer] = agents;
    // Ten 5-star ratings for one, ten 1-star for the other: platform mean 0.5.
    for (const [agent, csat] of [
      [high, 5],
      [low, 1],
    ] as const) {
      for (let i = 0; i < 10; i++) {
        const ticket = await resolvedTicket(t, key, agent);
        await t.http
          .post(`/v1/escalations/${ticket.externalId}/rating`)
          .set('Authorization', `Bearer ${key}`)
          .send({ csat })
          .expect(201);
      }
    }
    const score = async (a: SignedIn) =>
      (await t.http.get('/v1/agents/me/quality').set(a.auth).expect(200)).body.score;
    expect([await score(high), await score(low), await score(newcomer)]).toEqual([0.75, 0.25, 0.5]);
  });
  afterAll(async () => {
    await t.close();
  });

  const open = async (agent: SignedIn) =>
    (await t.http.get('/v1/shifts/open?limit=100&include=ineligible').set(agent.auth).expect(200))
      .body as {
      items: { id: string; minQuality: number | null; openToAllAt: string | null }[];
      ineligible: { id: string; reasons: Record<string, unknown>[] }[];
    };
  const claim = (agent: SignedIn, shiftId: string) =>
    t.http.post(`/v1/shifts/${shiftId}/claims`).set(agent.auth);

  it('a minimum score: below it neither listed nor claimable, with the reason; at it, both', async () => {
    const shift = await postShift(t, company, { title: 'Careful desk', minQuality: 0.5 });
    expect(shift).toMatchObject({ minQuality: 0.5, earlyAccessHours: null, openToAllAt: null });

    const lows = await open(low);
    expect(lows.items.map((s) => s.id)).not.toContain(shift.id);
    expect(lows.ineligible.find((s) => s.id === shift.id)?.reasons).toEqual([
      { code: 'QUALITY_TOO_LOW', minQuality: 0.5, quality: 0.25 },
    ]);
    const refused = await claim(low, shift.id).expect(403);
    expect(refused.body.error).toMatchObject({
      code: 'NOT_ELIGIBLE',
      details: { reasons: [{ code: 'QUALITY_TOO_LOW', minQuality: 0.5, quality: 0.25 }] },
    });

    expect((await open(newcomer)).items.find((s) => s.id === shift.id)).toMatchObject({
      minQuality: 0.5,
    });
    await claim(newcomer, shift.id).expect(201);

    // Seats taken: the minimum may go down, not up.
    const raise = await t.http
      .patch(`/v1/shifts/${shift.id}`)
      .set(company.auth)
      .send({ minQuality: 0.6 })
      .expect(409);
    expect(raise.body.error.code).toBe('SHIFT_HAS_CLAIMS');
    expect(raise.body.error.details.fields).toEqual([
      {
        field: 'minQuality',
        messages: ['minQuality can only go down, or be removed, once seats are taken'],
      },
    ]);
    await t.http
      .patch(`/v1/shifts/${shift.id}`)
      .set(company.auth)
      .send({ minQuality: null })
      .expect(200);
    // None now: any minimum would be a raise, and the message does not offer to lower it.
    const set = await t.http
      .patch(`/v1/shifts/${shift.id}`)
      .set(company.auth)
      .send({ minQuality: 0.1 })
      .expect(409);
    expect(set.body.error.details.fields).toEqual([
      { field: 'minQuality', messages: ['minQuality cannot be set once seats are taken'] },
    ]);
    await claim(low, shift.id).expect(201);
  });

  it('compares a score at four decimals in the list as in the claim (0.74996 meets 0.75)', async () => {
    const startsAt = inMinutes(5 * 24 * 60); // clear of the other tests' seats
    const shift = await postShift(t, company, {
      title: 'Rounded desk',
      minQuality: 0.75,
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
    });
    const reader = t.app.get<AgentQualityReader>(AGENT_QUALITY);
    const real = reader.scoreOf.bind(reader);
    const spy = jest
      .spyOn(reader, 'scoreOf')
      .mockImplementation(async (em, agentId) =>
        agentId === newcomer.id ? 0.74996 : real(em, agentId),
      );
    try {
      const listed = await open(newcomer);
      expect(listed.items.map((s) => s.id)).toContain(shift.id);
      expect(listed.ineligible.map((s) => s.id)).not.toContain(shift.id);
      await claim(newcomer, shift.id).expect(201);
    } finally {
      spy.mockRestore();
    }
  });

  it('a lower minimum gives a free seat to the agent in line it had passed over', async () => {
    const startsAt = inMinutes(7 * 24 * 60); // clear of the other tests' seats
    const shift = await postShift(t, company, {
      title: 'Line desk',
      minQuality: 0.5,
      seats: 1,
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
    });
    await claim(high, shift.id).expect(201);
    // In line since before its score fell below the minimum (joined while it met it).
    await t.db.query('INSERT INTO shift_waitlist (shift_id, agent_id) VALUES ($1, $2)', [
      shift.id,
      low.id,
    ]);
    await t.http.delete(`/v1/shifts/${shift.id}/claims/me`).set(high.auth).expect(200);
    const seats = async () =>
      (await t.http.get(`/v1/shifts/${shift.id}`).set(company.auth).expect(200)).body;
    expect(await seats()).toMatchObject({ seatsTaken: 0, waitlist: [{ agentId: low.id }] });
    await t.http
      .patch(`/v1/shifts/${shift.id}`)
      .set(company.auth)
      .send({ minQuality: 0.2 })
      .expect(200);
    // Given at once (it waited beside a free seat until some other claim or release).
    expect(await seats()).toMatchObject({ seatsTaken: 1, waitlist: [] });
    const mine = await t.http.get('/v1/agents/me/claims').set(low.auth).expect(200);
    expect(mine.body.items.find((c: { shiftId: string }) => c.shiftId === shift.id)).toMatchObject({
      status: 'claimed',
      source: 'waitlist',
    });
  });

  it('early access: only the best-rated for its hours, then everyone eligible', async () => {
    const shift = await postShift(t, company, {
      title: 'First dibs',
      startsAt: new Date(Date.now() + 30 * 3_600_000).toISOString(),
      endsAt: new Date(Date.now() + 32 * 3_600_000).toISOString(),
      earlyAccessHours: 24,
      earlyAccessMinQuality: 0.7,
    });
    const openToAllAt = Date.parse(shift.openToAllAt as string);
    expect(openToAllAt - Date.parse(shift.createdAt as string)).toBe(24 * 3_600_000);

    expect((await open(high)).items.map((s) => s.id)).toContain(shift.id);
    const waiting = await open(newcomer);
    expect(waiting.items.map((s) => s.id)).not.toContain(shift.id);
    expect(waiting.ineligible.find((s) => s.id === shift.id)?.reasons).toEqual([
      {
        code: 'EARLY_ACCESS',
        minQuality: 0.7,
        quality: 0.5,
        openToAllAt: new Date(openToAllAt).toISOString(),
      },
    ]);
    expect((await claim(newcomer, shift.id).expect(403)).body.error.details.reasons[0].code).toBe(
      'EARLY_ACCESS',
    );
    await claim(high, shift.id).expect(201);

    // A day later it is open to all.
    await t.db.query(
      `UPDATE shifts SET created_at = created_at - interval '25 hours' WHERE id = $1`,
      [shift.id],
    );
    expect((await open(newcomer)).items.map((s) => s.id)).toContain(shift.id);
    await claim(newcomer, shift.id).expect(201);
  });

  it("early access ends by the database's clock, though this API's runs ahead", async () => {
    const shift = await postShift(t, company, {
      title: 'Clocked dibs',
      startsAt: new Date(Date.now() + 40 * 3_600_000).toISOString(),
      endsAt: new Date(Date.now() + 42 * 3_600_000).toISOString(),
      earlyAccessHours: 24,
      earlyAccessMinQuality: 0.7,
    });
    // Open to all in a minute by the database's clock; already, by this API process's.
    await t.db.query(
      `UPDATE shifts SET created_at = now() - interval '24 hours' + interval '60 seconds'
        WHERE id = $1`,
      [shift.id],
    );
    // `new Date()` too, not only Date.now: the gate's default clock was `new Date()`.
    await withApiClockOff(120_000, async () => {
      const early = await claim(newcomer, shift.id).expect(403);
      expect(early.body.error.details.reasons.map((r: { code: string }) => r.code)).toEqual([
        'EARLY_ACCESS',
      ]);
      // And the open-shifts list says so: not open to it yet, but among those it cannot take.
      const listed = await open(newcomer);
      expect(listed.items.map((s) => s.id)).not.toContain(shift.id);
      expect(listed.ineligible.find((s) => s.id === shift.id)?.reasons.map((r) => r.code)).toEqual([
        'EARLY_ACCESS',
      ]);
    });
  });

  it('refuses early access given by halves, and scores outside 0–1', async () => {
    const half = await t.http
      .post('/v1/shifts')
      .set(company.auth)
      .send(shiftBody({ earlyAccessHours: 12 }))
      .expect(400);
    expect(half.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual([
      'earlyAccessMinQuality',
    ]);
    const bad = await t.http
      .post('/v1/shifts')
      .set(company.auth)
      .send(
        shiftBody({
          minQuality: 1.5,
          earlyAccessHours: 0,
          earlyAccessMinQuality: -1,
        }),
      )
      .expect(400);
    expect(bad.body.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual([
      'earlyAccessHours',
      'earlyAccessMinQuality',
      'minQuality',
    ]);
  });
});
