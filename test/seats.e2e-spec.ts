import {
  NoShowCheckHandler,
  ShiftCompleteHandler,
} from '../src/modules/shifts/shift-timers.handlers';
import { OffersWithdrawHandler } from '../src/modules/tickets/offer-jobs.handlers';
import { createStaff, registerAgent, registerCompany, SignedIn } from './support/factories';
import { insertTickets } from './support/tickets';
import { inMinutes, moveShift, nearItsEnd, postShift, setProfile } from './support/shifts';
import { createTestApp, TestApp } from './support/test-app';
import type { QueryRunner } from 'typeorm';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { planOf } from './support/plans';
import { ShiftClaimViewsRepository } from '../src/modules/shifts/shift-claim-views.repository';
import { OffersRepository } from '../src/modules/tickets/offers.repository';
import { OfferRoutingRepository } from '../src/modules/tickets/offer-routing.repository';
import { TicketsRepository } from '../src/modules/tickets/tickets.repository';
import { waitForLockWaiters, whileAgentHeld, withRowsHeld } from './support/row-locks';
import { waitUntil } from './support/wait-for';

const window = (startMin: number, hours: number) => {
  const start = inMinutes(startMin);
  return {
    startsAt: start.toISOString(),
    endsAt: new Date(start.getTime() + hours * 3_600_000).toISOString(),
  };
};

describe('seats (agent side)', () => {
  let t: TestApp;
  let company: SignedIn;
  beforeAll(async () => {
    t = await createTestApp({ env: { WEEKLY_HOURS_CAP: '10' } });
    company = await registerCompany(t, 'Acme');
  });
  afterAll(async () => {
    await t.close();
  });

  const claim = (agent: SignedIn, shiftId: string) =>
    t.http.post(`/v1/shifts/${shiftId}/claims`).set(agent.auth);
  const seatsTaken = async (shiftId: string) =>
    (await t.db.query('SELECT seats_taken FROM shifts WHERE id = $1', [shiftId]))[0]
      .seats_taken as number;
  const activeClaims = async (shiftId: string) =>
    (
      await t.db.query(
        `SELECT count(*)::int AS n FROM shift_claims WHERE shift_id = $1 AND status IN ('claimed','checked_in')`,
        [shiftId],
      )
    )[0].n as number;

  it('50 agents race for a 5-seat shift: exactly 5 seats, 45 SHIFT_FULL', async () => {
    const shift = await postShift(t, company, { seats: 5 });
    const agents = await Promise.all(Array.from({ length: 50 }, () => registerAgent(t)));
    const results = await Promise.all(agents.map((a) => claim(a, shift.id)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(
      results.filter((r) => r.status === 409 && r.body.error.code === 'SHIFT_FULL'),
    ).toHaveLength(45);
    expect(await seatsTaken(shift.id)).toBe(5);
    expect(await activeClaims(shift.id)).toBe(5);
  });

  it('one agent fires claims at 20 mutually overlapping shifts at once: exactly one succeeds', async () => {
    const agent = await registerAgent(t);
    const shifts = [];
    for (let i = 0; i < 20; i++) shifts.push(await postShift(t, company, window(3000 + i, 1)));
    const results = await Promise.all(shifts.map((s) => claim(agent, s.id)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused.every((r) => r.status === 409 && r.body.error.code === 'SHIFT_OVERLAP')).toBe(
      true,
    );
    const [{ n }] = await t.db.query(
      `SELECT count(*)::int AS n FROM shift_claims WHERE agent_id = $1`,
      [agent.id],
    );
    expect(n).toBe(1);
  });

  it('closes claims 30 minutes before the end, and on cancelled shifts: SHIFT_CLOSED', async () => {
    // Joining a started shift is allowed while 30 minutes remain (issue 13; late-seats spec).
    const started = await postShift(t, company, window(60, 2));
    await moveShift(t, started.id, inMinutes(-91), inMinutes(29));
    const res = await claim(await registerAgent(t), started.id).expect(409);
    expect(res.body.error.code).toBe('SHIFT_CLOSED');
    const cancelled = await postShift(t, company);
    await t.http.post(`/v1/shifts/${cancelled.id}/cancel`).set(company.auth).send({}).expect(200);
    const again = await claim(await registerAgent(t), cancelled.id).expect(409);
    expect(again.body.error.code).toBe('SHIFT_CLOSED');
    await claim(await registerAgent(t), crypto.randomUUID()).expect(404);
  });

  it('refuses a second seat on the same shift', async () => {
    const shift = await postShift(t, company);
    const agent = await registerAgent(t);
    await claim(agent, shift.id).expect(201);
    const res = await claim(agent, shift.id).expect(409);
    expect(res.body.error.code).toBe('ALREADY_CLAIMED');
  });

  describe('eligibility matrix', () => {
    let shiftId: string;
    let admin: SignedIn;
    // What both shifts of the matrix ask of agents.
    const requirements = {
      requiredSkills: [
        { skill: 'billing', minLevel: 3 },
        { skill: 'refunds', minLevel: 2 },
      ],
      languages: ['en', 'es'],
      requiresCertification: true,
    };
    beforeAll(async () => {
      admin = await createStaff(t, 'admin');
      shiftId = (await postShift(t, company, { ...window(5000, 2), ...requirements })).id;
    });

    const qualified = async () => {
      const agent = await registerAgent(t);
      await setProfile(t, agent, {
        languages: ['en', 'es'],
        skills: [
          { skill: 'billing', level: 4 },
          { skill: 'refunds', level: 2 },
        ],
      });
      await t.http
        .put(`/v1/companies/me/certified-agents/${agent.id}`)
        .set(company.auth)
        .expect(200);
      return agent;
    };

    const cases: [string, (a: SignedIn) => Promise<void>, object[]][] = [
      [
        'missing skill',
        (a) =>
          setProfile(t, a, { languages: ['en', 'es'], skills: [{ skill: 'billing', level: 4 }] }),
        [{ code: 'MISSING_SKILL', skill: 'refunds', minLevel: 2 }],
      ],
      [
        'level too low',
        (a) =>
          setProfile(t, a, {
            languages: ['en', 'es'],
            skills: [
              { skill: 'billing', level: 2 },
              { skill: 'refunds', level: 2 },
            ],
          }),
        [{ code: 'SKILL_LEVEL_TOO_LOW', skill: 'billing', minLevel: 3, level: 2 }],
      ],
      [
        'language',
        (a) =>
          setProfile(t, a, {
            languages: ['en'],
            skills: [
              { skill: 'billing', level: 4 },
              { skill: 'refunds', level: 2 },
            ],
          }),
        [{ code: 'MISSING_LANGUAGE', language: 'es' }],
      ],
      [
        'certification',
        async (a) => {
          await t.http
            .delete(`/v1/companies/me/certified-agents/${a.id}`)
            .set(company.auth)
            .expect(204);
        },
        [{ code: 'NOT_CERTIFIED', companyId: expect.any(String) }],
      ],
      [
        'suspended',
        async (a) => {
          await t.http
            .post(`/v1/agents/${a.id}/suspend`)
            .set(admin.auth)
            .send({ reason: 'review' })
            .expect(200);
        },
        [{ code: 'SUSPENDED' }],
      ],
    ];

    it('lets a fully qualified agent see and claim the shift', async () => {
      const agent = await qualified();
      const open = await t.http.get('/v1/shifts/open?limit=100').set(agent.auth).expect(200);
      expect(open.body.items.map((s: { id: string }) => s.id)).toContain(shiftId);
      await claim(agent, shiftId).expect(201);
    });

    it.each(cases)(
      'refuses on %s with the reason, and hides the shift from /open',
      async (_name, spoil, reasons) => {
        const agent = await qualified();
        await spoil(agent);
        const res = await claim(agent, shiftId).expect(403);
        expect(res.body.error).toMatchObject({ code: 'NOT_ELIGIBLE', details: { reasons } });
        const open = await t.http
          .get('/v1/shifts/open?limit=100&includeFull=true')
          .set(agent.auth)
          .expect(200);
        expect(open.body.items.map((s: { id: string }) => s.id)).not.toContain(shiftId);
      },
    );

    describe('on a full shift', () => {
      let fullId: string;
      beforeAll(async () => {
        fullId = (await postShift(t, company, { ...window(5200, 2), seats: 1, ...requirements }))
          .id;
        await claim(await qualified(), fullId).expect(201);
      });

      // Not SHIFT_FULL: no seat freed later would take the agent, and the waitlist refuses it.
      it.each(cases)(
        'refuses on %s with the reason, a claim as the waitlist',
        async (_name, spoil, reasons) => {
          const agent = await qualified();
          await spoil(agent);
          const claimed = await claim(agent, fullId).expect(403);
          expect(claimed.body.error).toMatchObject({ code: 'NOT_ELIGIBLE', details: { reasons } });
          const queued = await t.http
            .post(`/v1/shifts/${fullId}/waitlist`)
            .set(agent.auth)
            .expect(403);
          expect(queued.body.error).toMatchObject({ code: 'NOT_ELIGIBLE', details: { reasons } });
        },
      );

      it('tells a qualified agent it is full, and lets it join the line', async () => {
        const agent = await qualified();
        const full = await claim(agent, fullId).expect(409);
        expect(full.body.error.code).toBe('SHIFT_FULL');
        await t.http.post(`/v1/shifts/${fullId}/waitlist`).set(agent.auth).expect(201);
      });
    });

    it('answers a seat holder ALREADY_CLAIMED before reading its eligibility again', async () => {
      const agent = await qualified();
      await claim(agent, shiftId).expect(201);
      await setProfile(t, agent, { languages: ['en'], skills: [{ skill: 'billing', level: 4 }] });
      const again = await claim(agent, shiftId).expect(409);
      expect(again.body.error.code).toBe('ALREADY_CLAIMED');
    });

    it('lists every reason at once', async () => {
      const agent = await registerAgent(t);
      const res = await claim(agent, shiftId).expect(403);
      expect(res.body.error.details.reasons.map((r: { code: string }) => r.code).sort()).toEqual(
        [
          'MISSING_LANGUAGE',
          'MISSING_LANGUAGE',
          'MISSING_SKILL',
          'MISSING_SKILL',
          'NOT_CERTIFIED',
        ].sort(),
      );
    });
  });

  it('lists open shifts soonest first with seats left and pay, leaving out held and full ones', async () => {
    const lister = await registerCompany(t, 'Lister');
    const later = await postShift(t, lister, { ...window(7000, 1), seats: 2 });
    const sooner = await postShift(t, lister, { ...window(6900, 1), seats: 1 });
    const agent = await registerAgent(t);
    const page = await t.http.get('/v1/shifts/open?limit=100').set(agent.auth).expect(200);
    const mine = page.body.items.filter((s: { companyName: string }) => s.companyName === 'Lister');
    expect(mine.map((s: { id: string }) => s.id)).toEqual([sooner.id, later.id]);
    expect(mine[0]).toMatchObject({
      seatsLeft: 1,
      ratePerTicket: { amountMinor: 250, currency: 'EUR' },
    });
    const starts = page.body.items.map((s: { startsAt: string }) => Date.parse(s.startsAt));
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    await claim(agent, later.id).expect(201);
    await claim(await registerAgent(t), sooner.id).expect(201);
    const after = await t.http.get('/v1/shifts/open?limit=100').set(agent.auth).expect(200);
    const ids = after.body.items.map((s: { id: string }) => s.id);
    expect(ids).not.toContain(later.id); // held
    expect(ids).not.toContain(sooner.id); // full
  });

  it('pages open shifts with a cursor', async () => {
    const agent = await registerAgent(t);
    const all = await t.http.get('/v1/shifts/open?limit=100').set(agent.auth).expect(200);
    const first = await t.http.get('/v1/shifts/open?limit=3').set(agent.auth).expect(200);
    const second = await t.http
      .get(`/v1/shifts/open?limit=3&cursor=${first.body.nextCursor}`)
      .set(agent.auth)
      .expect(200);
    expect([...first.body.items, ...second.body.items].map((s: { id: string }) => s.id)).toEqual(
      all.body.items.slice(0, 6).map((s: { id: string }) => s.id),
    );
  });

  it('caps weekly hours (WEEKLY_HOURS_CAP=10 here): 409 past the cap', async () => {
    const agent = await registerAgent(t);
    const base = new Date();
    // Wednesday next week, 08:00 UTC, so every shift falls in one calendar week.
    base.setUTCDate(base.getUTCDate() + ((10 - base.getUTCDay()) % 7) + 7);
    base.setUTCHours(8, 0, 0, 0);
    const at = (dayOffset: number, hours: number) => {
      const s = new Date(base.getTime() + dayOffset * 86_400_000);
      return {
        startsAt: s.toISOString(),
        endsAt: new Date(s.getTime() + hours * 3_600_000).toISOString(),
      };
    };
    await claim(agent, (await postShift(t, company, at(0, 6))).id).expect(201);
    await claim(agent, (await postShift(t, company, at(1, 4))).id).expect(201);
    const res = await claim(agent, (await postShift(t, company, at(2, 1))).id).expect(409);
    expect(res.body.error).toMatchObject({
      code: 'WEEKLY_HOURS_EXCEEDED',
      details: { capHours: 10, weekHours: 10, shiftHours: 1 },
    });
    // 168 hours after the first seat began, its hours have left the window.
    await claim(agent, (await postShift(t, company, at(7, 1))).id).expect(201);
  });

  it('caps seat hours in any 168 hours, across a week boundary and whatever the time zone', async () => {
    const agent = await registerAgent(t);
    const setZone = (timeZone: string) =>
      t.http
        .put('/v1/agents/me/profile')
        .set(agent.auth)
        .send({ displayName: 'Agent', timeZone, languages: ['en'] })
        .expect(200);
    // A Sunday two weeks ahead, 10:00 UTC.
    const sunday = new Date();
    sunday.setUTCDate(sunday.getUTCDate() + ((7 - sunday.getUTCDay()) % 7) + 14);
    sunday.setUTCHours(10, 0, 0, 0);
    const hours = (from: number, length: number) => ({
      startsAt: new Date(sunday.getTime() + from * 3_600_000).toISOString(),
      endsAt: new Date(sunday.getTime() + (from + length) * 3_600_000).toISOString(),
    });
    await setZone('UTC');
    // Sunday 10:00-20:00 UTC: the cap, in the last day of a UTC calendar week.
    await claim(agent, (await postShift(t, company, hours(0, 10))).id).expect(201);
    // Monday (a new UTC calendar week) 10:00-12:00: 12 hours within a day.
    const monday = await claim(agent, (await postShift(t, company, hours(24, 2))).id).expect(409);
    expect(monday.body.error).toMatchObject({
      code: 'WEEKLY_HOURS_EXCEEDED',
      details: { capHours: 10, weekHours: 10, shiftHours: 2 },
    });
    // In UTC+14, Sunday 10:00 UTC is already Monday; Saturday 10:00-12:00 UTC is Sunday there.
    await setZone('Pacific/Kiritimati');
    const saturday = await claim(agent, (await postShift(t, company, hours(-24, 2))).id).expect(
      409,
    );
    expect(saturday.body.error.details).toMatchObject({ weekHours: 10, shiftHours: 2 });
    // A seat wholly 168 hours later fits again, in any zone.
    await claim(agent, (await postShift(t, company, hours(168, 10))).id).expect(201);
    // Partly inside a window: a seat ending 2 hours after the first one's window closes counts
    // only what is inside any one window.
    const straddle = await claim(agent, (await postShift(t, company, hours(160, 1))).id).expect(
      409,
    );
    expect(straddle.body.error.details.weekHours + straddle.body.error.details.shiftHours).toBe(11);
  });

  it('refuses a claim naming the shift as it was shown once the company moved it or lowered its rate', async () => {
    const shift = (await postShift(t, company, { ...window(3 * 24 * 60, 2), seats: 2 })) as {
      id: string;
      startsAt: string;
      endsAt: string;
      ratePerTicket: { amountMinor: number; currency: string };
    };
    const agent = await registerAgent(t);
    const shown = {
      startsAt: shift.startsAt,
      endsAt: shift.endsAt,
      ratePerTicket: shift.ratePerTicket,
    };
    // No seat is taken: the company may move it anywhere, and lower its rate.
    const moved = window(90, 2);
    await t.http.patch(`/v1/shifts/${shift.id}`).set(company.auth).send(moved).expect(200);
    const refused = await claim(agent, shift.id).send(shown).expect(409);
    expect(refused.body.error).toMatchObject({
      code: 'SHIFT_CHANGED',
      details: {
        changed: ['startsAt', 'endsAt'],
        startsAt: new Date(moved.startsAt).toISOString(),
        endsAt: new Date(moved.endsAt).toISOString(),
        ratePerTicket: shift.ratePerTicket,
      },
    });
    expect(await seatsTaken(shift.id)).toBe(0);
    // The same instants in another offset are the same shift; a lower rate is not.
    const berlin = (iso: string) =>
      new Date(Date.parse(iso) + 3_600_000).toISOString().replace('Z', '+01:00');
    const again = { startsAt: berlin(moved.startsAt), endsAt: berlin(moved.endsAt) };
    const lower = { amountMinor: shift.ratePerTicket.amountMinor - 50, currency: 'EUR' };
    await t.http
      .patch(`/v1/shifts/${shift.id}`)
      .set(company.auth)
      .send({ ratePerTicket: lower })
      .expect(200);
    const cheaper = await claim(agent, shift.id)
      .send({ ...again, ratePerTicket: shift.ratePerTicket })
      .expect(409);
    expect(cheaper.body.error.details.changed).toEqual(['ratePerTicket']);
    // As shown now (or a higher rate than shown), or without a body: the seat.
    const taken = await claim(agent, shift.id)
      .send({ ...again, ratePerTicket: { ...lower, amountMinor: lower.amountMinor - 1 } })
      .expect(201);
    expect(taken.body).toMatchObject({ shiftId: shift.id, status: 'claimed' });
  });

  describe('cancelling a seat', () => {
    it('early: not late, the seat is freed', async () => {
      const shift = await postShift(t, company, { seats: 1, ...window(600, 2) });
      const agent = await registerAgent(t);
      const seat = (await claim(agent, shift.id).expect(201)).body;
      // The seat says when its windows begin (the defaults: 15 and 120 minutes before the start).
      const start = Date.parse(seat.startsAt);
      expect(Date.parse(seat.checkInOpensAt)).toBe(start - 15 * 60_000);
      expect(Date.parse(seat.lateCancelStartsAt)).toBe(start - 120 * 60_000);
      expect(Date.parse(seat.lateCancelStartsAt)).toBeGreaterThan(Date.now());
      const res = await t.http
        .delete(`/v1/shifts/${shift.id}/claims/me`)
        .set(agent.auth)
        .expect(200);
      expect(res.body).toMatchObject({ status: 'cancelled', lateCancellation: false });
      expect(await seatsTaken(shift.id)).toBe(0);
      await claim(await registerAgent(t), shift.id).expect(201);
    });

    it('inside the late window: recorded as late and counted in reliability', async () => {
      const shift = await postShift(t, company, window(60, 2));
      const agent = await registerAgent(t);
      const seat = (await claim(agent, shift.id).expect(201)).body;
      expect(Date.parse(seat.lateCancelStartsAt)).toBeLessThan(Date.now());
      const res = await t.http
        .delete(`/v1/shifts/${shift.id}/claims/me`)
        .set(agent.auth)
        .expect(200);
      expect(res.body.lateCancellation).toBe(true);
      const rel = await t.http.get('/v1/agents/me/reliability').set(agent.auth).expect(200);
      expect(rel.body).toMatchObject({
        windowDays: 30,
        lateCancellations: 1,
        noShows: 0,
        completed: 0,
        raw: 0,
      });
      // Smoothed by the platform's record (weighing as 10 seats), not 0 for one late cancellation.
      const { platformMean, priorWeight } = rel.body;
      expect(priorWeight).toBe(10);
      expect(rel.body.score).toBeCloseTo((0 + 10 * platformMean) / (1 + 10), 3);
    });

    it('without a seat: 404', async () => {
      const shift = await postShift(t, company);
      await t.http
        .delete(`/v1/shifts/${shift.id}/claims/me`)
        .set((await registerAgent(t)).auth)
        .expect(404);
    });
  });

  describe('check-in and check-out', () => {
    it('opens 15 minutes before the start and runs until the end', async () => {
      const shift = await postShift(t, company, window(120, 2));
      const agent = await registerAgent(t);
      const seat = (await claim(agent, shift.id).expect(201)).body;
      const early = await t.http
        .post(`/v1/shifts/${shift.id}/check-in`)
        .set(agent.auth)
        .expect(409);
      expect(early.body.error.code).toBe('CHECK_IN_NOT_OPEN');
      // When it closes: the seat's deadline (past it, a no-show), not the shift's end.
      expect(early.body.error.details).toEqual({
        opensAt: seat.checkInOpensAt,
        closesAt: seat.checkInDeadline,
      });
      await moveShift(t, shift.id, inMinutes(10), inMinutes(130)); // now 10 min before start
      const res = await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(agent.auth).expect(200);
      expect(res.body).toMatchObject({ status: 'checked_in', checkedInAt: expect.any(String) });
      await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(agent.auth).expect(200); // harmless twice
      await moveShift(t, shift.id, inMinutes(-5), inMinutes(115)); // started 5 minutes ago
      const cancel = await t.http
        .delete(`/v1/shifts/${shift.id}/claims/me`)
        .set(agent.auth)
        .expect(409);
      expect(cancel.body.error.code).toBe('CLAIM_STATE_CONFLICT');
      await nearItsEnd(t, shift.id); // past the close of claims: a check-out completes the seat
      const out = await t.http.post(`/v1/shifts/${shift.id}/check-out`).set(agent.auth).expect(200);
      expect(out.body).toMatchObject({ status: 'completed', checkedOutAt: expect.any(String) });
      const again = await t.http
        .post(`/v1/shifts/${shift.id}/check-out`)
        .set(agent.auth)
        .expect(409);
      expect(again.body.error).toMatchObject({
        code: 'CLAIM_STATE_CONFLICT',
        details: { status: 'completed' },
      });
      expect(await seatsTaken(shift.id)).toBe(1); // a completed seat stays used
    });

    it('a check-out or a seat cancel retried with its Idempotency-Key gets its first answer, never cancelling a seat claimed again since', async () => {
      const shift = await postShift(t, company, window(120, 2));
      const agent = await registerAgent(t);
      await claim(agent, shift.id).expect(201);
      // The answer of a cancel was lost; the agent claimed again meanwhile (another tab), and
      // the lost request is retried: it answers what it did, the new seat stays.
      const cancel = () =>
        t.http
          .delete(`/v1/shifts/${shift.id}/claims/me`)
          .set(agent.auth)
          .set('Idempotency-Key', `cancel-${shift.id}`);
      const first = await cancel().expect(200);
      const again = (await claim(agent, shift.id).expect(201)).body;
      const retried = await cancel().expect(200);
      expect(retried.body).toEqual(first.body);
      const [seat] = await t.db.query('SELECT status FROM shift_claims WHERE id = $1', [again.id]);
      expect(seat.status).toBe('claimed');

      await moveShift(t, shift.id, inMinutes(10), inMinutes(130));
      await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(agent.auth).expect(200);
      await moveShift(t, shift.id, inMinutes(-5), inMinutes(115));
      await nearItsEnd(t, shift.id);
      const checkOut = () =>
        t.http
          .post(`/v1/shifts/${shift.id}/check-out`)
          .set(agent.auth)
          .set('Idempotency-Key', `check-out-${shift.id}`);
      const out = await checkOut().expect(200);
      // Before: 409 CLAIM_STATE_CONFLICT "completed", as if the check-out had failed.
      expect((await checkOut().expect(200)).body).toEqual(out.body);
    });

    // A seat given in a transaction that began before the agent's cancelled one committed (a
    // promotion inside a shift edit that waited on a lock) carries the earlier claimed_at: the
    // latest seat by that time was the cancelled one, and check-in answered "the seat is
    // cancelled" until the seat went as a no-show.
    it('checks in and out the seat the agent holds, not a cancelled one claimed later', async () => {
      const shift = await postShift(t, company, window(120, 2));
      const agent = await registerAgent(t);
      const cancelled = (await claim(agent, shift.id).expect(201)).body;
      await t.http.delete(`/v1/shifts/${shift.id}/claims/me`).set(agent.auth).expect(200);
      const held = (await claim(agent, shift.id).expect(201)).body;
      await t.db.query(
        `UPDATE shift_claims SET claimed_at = now() + interval '1 minute' WHERE id = $1`,
        [cancelled.id],
      );
      await moveShift(t, shift.id, inMinutes(10), inMinutes(130));
      const res = await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(agent.auth).expect(200);
      expect(res.body).toMatchObject({ id: held.id, status: 'checked_in' });
      await moveShift(t, shift.id, inMinutes(-5), inMinutes(115));
      await nearItsEnd(t, shift.id);
      const out = await t.http.post(`/v1/shifts/${shift.id}/check-out`).set(agent.auth).expect(200);
      expect(out.body).toMatchObject({ id: held.id, status: 'completed' });
    });

    it('before the start, a checked-in seat is cancelled, not checked out (nothing was worked)', async () => {
      const shift = await postShift(t, company, { ...window(120, 2), seats: 1 });
      const [agent, next] = [await registerAgent(t), await registerAgent(t)];
      await claim(agent, shift.id).expect(201);
      await t.http.post(`/v1/shifts/${shift.id}/waitlist`).set(next.auth).expect(201);
      await moveShift(t, shift.id, inMinutes(10), inMinutes(130));
      await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(agent.auth).expect(200);
      const out = await t.http.post(`/v1/shifts/${shift.id}/check-out`).set(agent.auth).expect(409);
      expect(out.body.error).toMatchObject({
        code: 'CLAIM_STATE_CONFLICT',
        details: { status: 'checked_in' },
      });
      // An offer the router made as the start came, while the cancel below was under way.
      await insertTickets(t, company.companyId!, 1);
      const [offer] = await t.db.query(
        `INSERT INTO offers (ticket_id, agent_id, company_id, shift_id, status, expires_at)
         SELECT id, $2, company_id, $3, 'pending', now() + interval '1 minute'
           FROM tickets WHERE company_id = $1 ORDER BY created_at DESC LIMIT 1
         RETURNING id`,
        [company.companyId, agent.id, shift.id],
      );
      const cancelled = await t.http
        .delete(`/v1/shifts/${shift.id}/claims/me`)
        .set(agent.auth)
        .expect(200);
      expect(cancelled.body).toMatchObject({ status: 'cancelled', lateCancellation: true });
      // The cancel withdraws what offers its seat may have been made (as a check-out does).
      const [job] = await t.db.query(
        `SELECT payload FROM outbox WHERE job_name = 'offers.withdraw' AND payload->>'shiftId' = $1`,
        [shift.id],
      );
      expect(job?.payload).toEqual({ shiftId: shift.id, agentId: agent.id });
      await t.app.get(OffersWithdrawHandler).handle(job.payload);
      const [after] = await t.db.query('SELECT status FROM offers WHERE id = $1', [offer.id]);
      expect(after.status).toBe('withdrawn');
      // The seat went to the waitlist: the company keeps its agent.
      const seats = await t.http.get('/v1/agents/me/claims').set(next.auth).expect(200);
      expect(seats.body.items).toEqual([
        expect.objectContaining({ shiftId: shift.id, status: 'claimed', source: 'waitlist' }),
      ]);
      expect(await seatsTaken(shift.id)).toBe(1);
    });

    it('one seat per agent and shift: after checking out, neither a second seat nor the waitlist', async () => {
      const shift = await postShift(t, company, { ...window(120, 4), seats: 1 });
      const agent = await registerAgent(t);
      await claim(agent, shift.id).expect(201);
      await moveShift(t, shift.id, inMinutes(-5), inMinutes(235));
      await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(agent.auth).expect(200);
      // Left early: the seat is free again, but not for the agent who left it.
      const out = await t.http.post(`/v1/shifts/${shift.id}/check-out`).set(agent.auth).expect(200);
      expect(out.body.status).toBe('left_early');
      const again = await claim(agent, shift.id).expect(409);
      expect(again.body.error.code).toBe('ALREADY_CLAIMED');
      const open = await t.http.get('/v1/shifts/open').set(agent.auth).expect(200);
      expect(open.body.items.map((s: { id: string }) => s.id)).not.toContain(shift.id);
      await claim(await registerAgent(t), shift.id).expect(201); // full again
      const wait = await t.http.post(`/v1/shifts/${shift.id}/waitlist`).set(agent.auth).expect(409);
      expect(wait.body.error.code).toBe('ALREADY_CLAIMED');
      expect(await seatsTaken(shift.id)).toBe(1);
    });

    it('a check-out while the seat could still be claimed is leaving early: the seat goes to the waitlist, and it counts as a late cancellation does', async () => {
      const shift = await postShift(t, company, { ...window(120, 4), seats: 1 });
      const [agent, waiting] = [await registerAgent(t), await registerAgent(t)];
      await claim(agent, shift.id).expect(201);
      await t.http.post(`/v1/shifts/${shift.id}/waitlist`).set(waiting.auth).expect(201);
      await moveShift(t, shift.id, inMinutes(-5), inMinutes(235));
      const seat = await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(agent.auth).expect(200);
      // From then on a check-out completes the seat: when claims close, 30 minutes before the end.
      expect(Date.parse(seat.body.checkOutCompletesAt)).toBe(
        Date.parse(seat.body.endsAt) - 30 * 60_000,
      );
      // Checked in and straight out again: no longer a seat worked.
      const out = await t.http.post(`/v1/shifts/${shift.id}/check-out`).set(agent.auth).expect(200);
      expect(out.body).toMatchObject({
        status: 'left_early',
        checkedOutAt: expect.any(String),
        completedAt: null,
      });
      const given = await t.http.get('/v1/agents/me/claims').set(waiting.auth).expect(200);
      expect(given.body.items).toMatchObject([
        { shiftId: shift.id, status: 'claimed', source: 'waitlist' },
      ]);
      expect(await seatsTaken(shift.id)).toBe(1);
      const record = await t.http.get('/v1/agents/me/reliability').set(agent.auth).expect(200);
      expect(record.body).toMatchObject({ completed: 0, leftEarly: 1, raw: 0 });
      // The company sees who left.
      const holders = await t.http.get(`/v1/shifts/${shift.id}`).set(company.auth).expect(200);
      expect(holders.body.claims).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ agentId: agent.id, status: 'left_early' }),
        ]),
      );
    });

    it('on a short shift, whose claims close at its start, a check-out before half of it is leaving early and the waitlist still gets the seat', async () => {
      // 30 minutes: claims close at the start, so the close of claims alone made any check-out
      // a seat completed, checked in and straight out again included.
      const shift = await postShift(t, company, { ...window(120, 0.5), seats: 1 });
      const [agent, waiting, stays] = [
        await registerAgent(t),
        await registerAgent(t),
        await registerAgent(t),
      ];
      await claim(agent, shift.id).expect(201);
      await t.http.post(`/v1/shifts/${shift.id}/waitlist`).set(waiting.auth).expect(201);
      // Both ends from one clock reading: two readings a millisecond apart made the shift 30
      // minutes and 1 ms long, and its half 0.5 ms off the 15 minutes below (a flaky failure).
      const now = Date.now();
      await moveShift(t, shift.id, new Date(now - 60_000), new Date(now + 29 * 60_000));
      // Checked in at the start (a check-in after it counts the seat's half from itself).
      await t.db.query(
        `UPDATE shift_claims SET checked_in_at = lower(period), status = 'checked_in'
          WHERE shift_id = $1`,
        [shift.id],
      );
      const seat = await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(agent.auth).expect(200);
      // Half the shift: 15 minutes before its end (30 before it would be its start).
      expect(Date.parse(seat.body.checkOutCompletesAt)).toBe(
        Date.parse(seat.body.endsAt) - 15 * 60_000,
      );
      const out = await t.http.post(`/v1/shifts/${shift.id}/check-out`).set(agent.auth).expect(200);
      expect(out.body).toMatchObject({ status: 'left_early', completedAt: null });
      const record = await t.http.get('/v1/agents/me/reliability').set(agent.auth).expect(200);
      expect(record.body).toMatchObject({ completed: 0, leftEarly: 1 });
      // Direct claims are closed, but the line may still fill the seat.
      const given = await t.http.get('/v1/agents/me/claims').set(waiting.auth).expect(200);
      expect(given.body.items).toMatchObject([
        { shiftId: shift.id, status: 'claimed', source: 'waitlist' },
      ]);
      expect(await seatsTaken(shift.id)).toBe(1);

      // Past half of it, a check-out completes the seat.
      const later = await postShift(t, company, { ...window(120, 0.5), seats: 1 });
      await claim(stays, later.id).expect(201);
      await moveShift(t, later.id, inMinutes(-1), inMinutes(29));
      await t.http.post(`/v1/shifts/${later.id}/check-in`).set(stays.auth).expect(200);
      await moveShift(t, later.id, inMinutes(-16), inMinutes(14));
      const done = await t.http
        .post(`/v1/shifts/${later.id}/check-out`)
        .set(stays.auth)
        .expect(200);
      expect(done.body).toMatchObject({ status: 'completed', completedAt: expect.any(String) });
    });

    it('a seat taken late completes only past half its own time: checked in and straight out once claims close, it is leaving early', async () => {
      const shift = await postShift(t, company, { ...window(120, 4), seats: 2 });
      const agent = await registerAgent(t);
      // Begun 3 h 29 min ago, ending in 31 min: claims are still open (they close 30 before).
      await moveShift(t, shift.id, inMinutes(-209), inMinutes(31));
      await claim(agent, shift.id).expect(201);
      await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(agent.auth).expect(200);
      // Two minutes on (all moved back): claims have closed; the seat has run 2 of its 31.
      await t.db.query(
        `UPDATE shifts SET starts_at = starts_at - interval '2 minutes',
                ends_at = ends_at - interval '2 minutes' WHERE id = $1`,
        [shift.id],
      );
      await t.db.query(
        `UPDATE shift_claims SET period = tstzrange(lower(period) - interval '2 minutes',
                upper(period) - interval '2 minutes', '[)'),
                check_in_deadline = check_in_deadline - interval '2 minutes',
                checked_in_at = checked_in_at - interval '2 minutes'
          WHERE shift_id = $1`,
        [shift.id],
      );
      const out = await t.http.post(`/v1/shifts/${shift.id}/check-out`).set(agent.auth).expect(200);
      // Half of the seat's 31 minutes before the end, not the close of claims (already past).
      expect(out.body).toMatchObject({ status: 'left_early', completedAt: null });
      const heldFrom = Date.parse(out.body.endsAt) - 31 * 60_000;
      expect(
        Math.abs(Date.parse(out.body.checkOutCompletesAt) - (heldFrom + 15.5 * 60_000)),
      ).toBeLessThan(1_000);
      const record = await t.http.get('/v1/agents/me/reliability').set(agent.auth).expect(200);
      expect(record.body).toMatchObject({ completed: 0, leftEarly: 1 });
    });

    it('a check-in late in its grace counts its half from the check-in: straight out again, it is leaving early', async () => {
      // 15 minutes with the default 10 of grace: half the shift passed before the check-in
      // deadline, so checking in at the end of the grace and out again had completed the seat.
      const shift = await postShift(t, company, { ...window(120, 0.25), seats: 1 });
      const agent = await registerAgent(t);
      await claim(agent, shift.id).expect(201);
      const now = Date.now();
      await moveShift(t, shift.id, new Date(now - 9 * 60_000), new Date(now + 6 * 60_000));
      const seat = await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(agent.auth).expect(200);
      // Half of the 6 minutes left from the check-in: 3 minutes before the end.
      const checkedIn = Date.parse(seat.body.checkedInAt);
      const half = checkedIn + (Date.parse(seat.body.endsAt) - checkedIn) / 2;
      expect(Math.abs(Date.parse(seat.body.checkOutCompletesAt) - half)).toBeLessThanOrEqual(1);
      const out = await t.http.post(`/v1/shifts/${shift.id}/check-out`).set(agent.auth).expect(200);
      expect(out.body).toMatchObject({ status: 'left_early', completedAt: null });
      const record = await t.http.get('/v1/agents/me/reliability').set(agent.auth).expect(200);
      expect(record.body).toMatchObject({ completed: 0, leftEarly: 1 });
    });

    it('a waitlist promotion passes over an agent who has worked a seat on the shift', async () => {
      const shift = await postShift(t, company, { seats: 2, ...window(120, 4) });
      const [worked, holder, next] = [
        await registerAgent(t),
        await registerAgent(t),
        await registerAgent(t),
      ];
      await claim(worked, shift.id).expect(201);
      await claim(holder, shift.id).expect(201);
      await moveShift(t, shift.id, inMinutes(-5), inMinutes(235));
      await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(worked.auth).expect(200);
      await t.http.post(`/v1/shifts/${shift.id}/check-out`).set(worked.auth).expect(200);
      // Left early, so its seat is free: someone takes it, and the shift is full again.
      await claim(await registerAgent(t), shift.id).expect(201);
      // In line from before one seat per agent was the rule, ahead of the next agent.
      await t.db.query(
        `INSERT INTO shift_waitlist (shift_id, agent_id, joined_at) VALUES ($1, $2, now() - interval '1 minute')`,
        [shift.id, worked.id],
      );
      await t.http.post(`/v1/shifts/${shift.id}/waitlist`).set(next.auth).expect(201);
      await t.http.delete(`/v1/shifts/${shift.id}/claims/me`).set(holder.auth).expect(200);
      const mine = async (a: SignedIn) =>
        (await t.http.get('/v1/agents/me/claims').set(a.auth).expect(200)).body.items.map(
          (c: { status: string; source: string }) => `${c.status}/${c.source}`,
        );
      expect(await mine(worked)).toEqual(['left_early/direct']);
      expect(await mine(next)).toEqual(['claimed/waitlist']);
      const [{ n }] = await t.db.query(
        'SELECT count(*)::int AS n FROM shift_waitlist WHERE shift_id = $1',
        [shift.id],
      );
      expect(n).toBe(0);
    });

    it('a direct claim reads a line of agents who cannot take the shift once, however long it is', async () => {
      // A seat free with a line ahead (its seat freed when none in line could take it): the
      // claim first serves the line, and what that costs must not grow with the line.
      const statementsOfClaimWithLine = async (inLine: number) => {
        const shift = await postShift(t, company, {
          seats: 1,
          languages: ['es'],
          ...window(300, 2),
        });
        const line = await Promise.all(Array.from({ length: inLine }, () => registerAgent(t)));
        await t.db.query(
          `INSERT INTO shift_waitlist (shift_id, agent_id, joined_at)
           SELECT $1, a, now() - make_interval(secs => n) FROM unnest($2::uuid[]) WITH ORDINALITY x(a, n)`,
          [shift.id, line.map((a) => a.id)],
        );
        const claimant = await registerAgent(t);
        await setProfile(t, claimant, { languages: ['es'] });
        const query = jest.spyOn(PostgresQueryRunner.prototype, 'query');
        try {
          await claim(claimant, shift.id).expect(201);
          return query.mock.calls.length;
        } finally {
          query.mockRestore();
        }
      };
      const short = await statementsOfClaimWithLine(2);
      const long = await statementsOfClaimWithLine(40);
      // The same statements (a few spare for the app's own timers, which share the counter):
      // each agent in line cost five or six more before.
      expect(long).toBeLessThanOrEqual(short + 5);
    });

    it('a direct claim serves first an agent in line who can take the seat, behind those who cannot', async () => {
      const shift = await postShift(t, company, { seats: 1, languages: ['es'], ...window(320, 2) });
      const cannot = await Promise.all([registerAgent(t), registerAgent(t)]);
      const can = await registerAgent(t);
      await setProfile(t, can, { languages: ['es'] });
      await t.db.query(
        `INSERT INTO shift_waitlist (shift_id, agent_id, joined_at)
         SELECT $1, a, now() - make_interval(secs => 10 - n) FROM unnest($2::uuid[]) WITH ORDINALITY x(a, n)`,
        [shift.id, [...cannot, can].map((a) => a.id)],
      );
      const claimant = await registerAgent(t);
      await setProfile(t, claimant, { languages: ['es'] });
      expect((await claim(claimant, shift.id).expect(409)).body.error.code).toBe('SHIFT_FULL');
      const seats = await t.db.query(
        `SELECT agent_id, source FROM shift_claims WHERE shift_id = $1`,
        [shift.id],
      );
      expect(seats).toEqual([{ agent_id: can.id, source: 'waitlist' }]);
      // Those who cannot take it keep their places.
      const line = await t.db.query(
        'SELECT agent_id FROM shift_waitlist WHERE shift_id = $1 ORDER BY joined_at',
        [shift.id],
      );
      expect(line.map((r: { agent_id: string }) => r.agent_id)).toEqual(cannot.map((a) => a.id));
    });

    /** An agent checked into an eight-hour seat whose time began `hours` ago. */
    const eightHoursWorkedFor = async (hours: number) => {
      const agent = await registerAgent(t);
      const first = await postShift(t, company, window(60, 8));
      await claim(agent, first.id).expect(201);
      await moveShift(t, first.id, inMinutes(-5), inMinutes(475));
      await t.http.post(`/v1/shifts/${first.id}/check-in`).set(agent.auth).expect(200);
      await t.db.query(
        `UPDATE shift_claims
            SET period = tstzrange(now() - make_interval(hours => $2), upper(period), '[)')
          WHERE shift_id = $1`,
        [first.id, hours],
      );
      return { agent, first };
    };

    it('counts a seat left early toward the weekly cap up to its check-out', async () => {
      // Worked for 6 hours, then left with 2 hours to go (claims still open): 6 hours held.
      const { agent, first } = await eightHoursWorkedFor(6);
      const out = await t.http.post(`/v1/shifts/${first.id}/check-out`).set(agent.auth);
      expect(out.body.status).toBe('left_early');
      // 6 held + 5 > 10: refused (before, a seat left early held no hours at all).
      const next = await postShift(t, company, window(24 * 60, 5));
      const refused = await claim(agent, next.id).expect(409);
      expect(refused.body.error).toMatchObject({ code: 'WEEKLY_HOURS_EXCEEDED' });
      expect(Math.round(refused.body.error.details.weekHours)).toBe(6);
      await claim(agent, (await postShift(t, company, window(24 * 60 + 600, 4))).id).expect(201);
    });

    it('counts a worked seat the company ended early toward the weekly cap only up to its end', async () => {
      const { agent, first } = await eightHoursWorkedFor(2);
      // Two hours in, the company cancels: the seat completes, ended by the company.
      await t.http.post(`/v1/shifts/${first.id}/cancel`).set(company.auth).send({}).expect(200);
      // 2 held + 7 ≤ 10 (before, the whole 8-hour period still counted: 15).
      await claim(agent, (await postShift(t, company, window(24 * 60, 7))).id).expect(201);
      const refused = await claim(agent, (await postShift(t, company, window(36 * 60, 2))).id);
      expect(refused.status).toBe(409);
      expect(Math.round(refused.body.error.details.weekHours)).toBe(9);
    });

    it('counts a worked seat a suspension cancelled toward the weekly cap up to the suspension, after reinstatement too', async () => {
      const admin = await createStaff(t, 'admin');
      const { agent, first } = await eightHoursWorkedFor(6);
      await t.http
        .post(`/v1/agents/${agent.id}/suspend`)
        .set(admin.auth)
        .send({ reason: 'review' })
        .expect(200);
      const [seat] = await t.db.query(
        `SELECT status, cancelled_by, checked_out_at IS NOT NULL AS out FROM shift_claims
          WHERE shift_id = $1`,
        [first.id],
      );
      expect(seat).toEqual({ status: 'cancelled', cancelled_by: 'suspension', out: true });
      await t.http.post(`/v1/agents/${agent.id}/reinstate`).set(admin.auth).expect(200);
      // 6 worked + 5 > 10 (before, the cancelled seat's hours were not counted at all).
      const refused = await claim(agent, (await postShift(t, company, window(24 * 60, 5))).id);
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({ code: 'WEEKLY_HOURS_EXCEEDED' });
      expect(Math.round(refused.body.error.details.weekHours)).toBe(6);
      await claim(agent, (await postShift(t, company, window(24 * 60 + 600, 4))).id).expect(201);
    });

    it('leaves a missed check-in to its no-show timer when the agent is suspended: the mark stands', async () => {
      const admin = await createStaff(t, 'admin');
      const agent = await registerAgent(t);
      const shift = await postShift(t, company, window(60, 4));
      const seat = await claim(agent, shift.id).expect(201);
      await moveShift(t, shift.id, inMinutes(-15), inMinutes(225)); // grace 10: missed
      await t.http
        .post(`/v1/agents/${agent.id}/suspend`)
        .set(admin.auth)
        .send({ reason: 'Repeated no-shows this month' })
        .expect(200);
      expect(await t.app.get(NoShowCheckHandler).handle({ claimId: seat.body.id })).toEqual({
        noShow: true,
      });
      const rel = await t.http.get('/v1/agents/me/reliability').set(agent.auth).expect(200);
      expect(rel.body.noShows).toBe(1);
    });

    it('checks out past the key-share lock an offer or ticket claim holds on the shift', async () => {
      const shift = await postShift(t, company, window(120, 4));
      const agent = await registerAgent(t);
      await claim(agent, shift.id).expect(201);
      await moveShift(t, shift.id, inMinutes(-5), inMinutes(235));
      await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(agent.auth).expect(200);
      const status = async () =>
        (await t.db.query('SELECT status FROM shift_claims WHERE shift_id = $1', [shift.id]))[0]
          .status as string;
      // As the router inserting an offer on the shift holds it (its foreign key), while it holds
      // the agent's row the check-out asks for next: the check-out must commit with that lock
      // still held (a FOR UPDATE of the shift deadlocked there).
      const { pending } = await withRowsHeld(
        t,
        'SELECT 1 FROM shifts WHERE id = $1 FOR KEY SHARE',
        [shift.id],
        async () => {
          const out = t.http.post(`/v1/shifts/${shift.id}/check-out`).set(agent.auth).then();
          await waitUntil(status, (s) => s === 'left_early', 'the check-out committed');
          return { pending: out };
        },
      );
      expect(await pending).toMatchObject({ status: 200, body: { status: 'left_early' } });
    });

    it('a seat claim, a waitlist join and a promotion wait for an agent without blocking the key-share lock that agent holds on the shift', async () => {
      // What holds the agent's row and then takes a key share on the shift: the agent's ticket
      // claim or the router's offer to it, inserting a row that references its live shift.
      const keyShare = (shiftId: string) => (held: QueryRunner) =>
        held.query('SELECT 1 FROM shifts WHERE id = $1 FOR KEY SHARE', [shiftId]);
      const shift = await postShift(t, company, { seats: 1, ...window(900, 2) });
      const [first, next] = [await registerAgent(t), await registerAgent(t)];
      // Each waits for the agent's row holding the shift: FOR UPDATE there made the key share
      // wait for it, a deadlock (40P01) PostgreSQL broke by failing one of the two.
      const seat = await whileAgentHeld(
        t,
        first.id,
        () => claim(first, shift.id),
        'the seat claim to wait for the agent',
        keyShare(shift.id),
      );
      expect(seat.status).toBe(201);
      const joined = await whileAgentHeld(
        t,
        next.id,
        () => t.http.post(`/v1/shifts/${shift.id}/waitlist`).set(next.auth),
        'the waitlist join to wait for the agent',
        keyShare(shift.id),
      );
      expect(joined.status).toBe(201);
      const cancelled = await whileAgentHeld(
        t,
        next.id,
        () => t.http.delete(`/v1/shifts/${shift.id}/claims/me`).set(first.auth),
        'the promotion to wait for the agent in line',
        keyShare(shift.id),
      );
      expect(cancelled.status).toBe(200);
      const seats = await t.db.query(
        `SELECT agent_id, source FROM shift_claims WHERE shift_id = $1 AND status = 'claimed'`,
        [shift.id],
      );
      expect(seats).toEqual([{ agent_id: next.id, source: 'waitlist' }]);
    });

    it('a no-show waits for an agent in line without blocking the key-share lock that agent holds on the shift', async () => {
      // The cycle this closes: the no-show job held the shift FOR UPDATE and waited for an agent
      // in its line (the promotion), a check-out elsewhere held that agent and waited for a
      // second one, whose ticket claim held it and waited for its key share on this shift. The
      // held transaction stands for the last two: it holds the agent, then takes the key share.
      const shift = await postShift(t, company, { seats: 1, ...window(30, 2) });
      const [holder, next] = [await registerAgent(t), await registerAgent(t)];
      const seat = await claim(holder, shift.id).expect(201);
      await t.http.post(`/v1/shifts/${shift.id}/waitlist`).set(next.auth).expect(201);
      await moveShift(t, shift.id, inMinutes(-15), inMinutes(105)); // grace 10: missed
      const outcome = await whileAgentHeld(
        t,
        next.id,
        () => t.app.get(NoShowCheckHandler).handle({ claimId: seat.body.id }),
        'the no-show to wait for the agent in line',
        (held) => held.query('SELECT 1 FROM shifts WHERE id = $1 FOR KEY SHARE', [shift.id]),
      );
      expect(outcome).toEqual({ noShow: true });
      const seats = await t.db.query(
        `SELECT agent_id, status, source FROM shift_claims WHERE shift_id = $1 ORDER BY claimed_at`,
        [shift.id],
      );
      expect(seats).toEqual([
        { agent_id: holder.id, status: 'no_show', source: 'direct' },
        { agent_id: next.id, status: 'claimed', source: 'waitlist' },
      ]);
    });

    it('two agents leaving early at once, each in the other’s line, both check out', async () => {
      for (let round = 0; round < 5; round++) {
        const [x, y] = [await registerAgent(t), await registerAgent(t)];
        const pairs = [
          [x, await postShift(t, company, { ...window(120 + round * 600, 4), seats: 1 })],
          [y, await postShift(t, company, { ...window(120 + round * 600, 4), seats: 1 })],
        ] as const;
        for (const [agent, shift] of pairs) {
          await claim(agent, shift.id).expect(201);
          await moveShift(t, shift.id, inMinutes(-5), inMinutes(235));
          await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(agent.auth).expect(200);
        }
        // Each waits in the other's line (put there directly: the seat it holds overlaps).
        await t.db.query(
          `INSERT INTO shift_waitlist (shift_id, agent_id) VALUES ($1, $2), ($3, $4)`,
          [pairs[0][1].id, y.id, pairs[1][1].id, x.id],
        );
        const outs = await Promise.all(
          pairs.map(([agent, shift]) =>
            t.http.post(`/v1/shifts/${shift.id}/check-out`).set(agent.auth),
          ),
        );
        expect(outs.map((o) => [o.status, o.body.status])).toEqual([
          [200, 'left_early'],
          [200, 'left_early'],
        ]);
      }
    });

    it('refuses check-out without check-in, and check-in without a seat', async () => {
      const shift = await postShift(t, company, window(5, 2));
      const agent = await registerAgent(t);
      await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(agent.auth).expect(404);
      await claim(agent, shift.id).expect(201);
      const res = await t.http.post(`/v1/shifts/${shift.id}/check-out`).set(agent.auth).expect(409);
      expect(res.body.error.details.status).toBe('claimed');
    });
  });

  describe('timers', () => {
    it('writes a no-show timer at the check-in deadline in the claim transaction', async () => {
      const shift = await postShift(t, company, { ...window(200, 2), checkInGraceMinutes: 7 });
      const agent = await registerAgent(t);
      const res = await claim(agent, shift.id).expect(201);
      expect(Date.parse(res.body.checkInDeadline)).toBe(
        Date.parse(shift.startsAt as string) + 7 * 60_000,
      );
      const [row] = await t.db.query(
        `SELECT run_at FROM outbox WHERE job_name = 'shift-claim.no-show-check' AND payload->>'claimId' = $1`,
        [res.body.id],
      );
      expect(new Date(row.run_at).toISOString()).toBe(res.body.checkInDeadline);
    });

    it('no-show frees the seat and records it; firing twice changes nothing; the waitlisted agent gets the seat', async () => {
      const shift = await postShift(t, company, { seats: 1, ...window(30, 2) });
      const holder = await registerAgent(t);
      const waiting = await registerAgent(t);
      const claimRes = await claim(holder, shift.id).expect(201);
      const joinEarly = await t.http
        .post(`/v1/shifts/${shift.id}/waitlist`)
        .set(holder.auth)
        .expect(409);
      expect(joinEarly.body.error.code).toBe('ALREADY_CLAIMED');
      const joined = await t.http
        .post(`/v1/shifts/${shift.id}/waitlist`)
        .set(waiting.auth)
        .expect(201);
      expect(joined.body.position).toBe(1);

      await moveShift(t, shift.id, inMinutes(-15), inMinutes(105)); // started 15 min ago, grace 10
      const handler = t.app.get(NoShowCheckHandler);
      expect(await handler.handle({ claimId: claimRes.body.id })).toEqual({ noShow: true });
      expect(await handler.handle({ claimId: claimRes.body.id })).toEqual({ noShow: false });

      const holderClaims = await t.http.get('/v1/agents/me/claims').set(holder.auth).expect(200);
      expect(holderClaims.body.items[0]).toMatchObject({
        shiftId: shift.id,
        status: 'no_show',
        noShowAt: expect.any(String),
      });
      const rel = await t.http.get('/v1/agents/me/reliability').set(holder.auth).expect(200);
      expect(rel.body.noShows).toBe(1);

      const waitingClaims = await t.http.get('/v1/agents/me/claims').set(waiting.auth).expect(200);
      expect(waitingClaims.body.items[0]).toMatchObject({
        shiftId: shift.id,
        status: 'claimed',
        source: 'waitlist',
      });
      // The promoted agent gets its own grace from the promotion, and can check in.
      expect(Date.parse(waitingClaims.body.items[0].checkInDeadline)).toBeGreaterThan(Date.now());
      await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(waiting.auth).expect(200);
      expect(await seatsTaken(shift.id)).toBe(1);
      const detail = await t.http.get(`/v1/shifts/${shift.id}`).set(company.auth).expect(200);
      expect(detail.body.waitlist).toEqual([]);
      expect(detail.body.claims.map((c: { status: string }) => c.status)).toEqual([
        'no_show',
        'checked_in',
      ]);
    });

    it('gives a seat freed before the start to the line, however long the grace is next to the shift', async () => {
      // Twenty minutes long with a 30-minute grace: the seat's deadline is then its end.
      const shift = await postShift(t, company, {
        seats: 1,
        startsAt: inMinutes(60).toISOString(),
        endsAt: inMinutes(80).toISOString(),
        checkInGraceMinutes: 30,
      });
      const [holder, waiting] = [await registerAgent(t), await registerAgent(t)];
      await claim(holder, shift.id).expect(201);
      await t.http.post(`/v1/shifts/${shift.id}/waitlist`).set(waiting.auth).expect(201);
      await moveShift(t, shift.id, inMinutes(5), inMinutes(25));
      await t.http.delete(`/v1/shifts/${shift.id}/claims/me`).set(holder.auth).expect(200);
      const [seat] = (await t.http.get('/v1/agents/me/claims').set(waiting.auth).expect(200)).body
        .items;
      expect(seat).toMatchObject({ shiftId: shift.id, status: 'claimed', source: 'waitlist' });
      expect(Date.parse(seat.checkInDeadline)).toBeGreaterThan(Date.now() + 20 * 60_000);
    });

    it('re-arms a no-show timer that fires before the deadline', async () => {
      const shift = await postShift(t, company, window(90, 1));
      const res = await claim(await registerAgent(t), shift.id).expect(201);
      expect(await t.app.get(NoShowCheckHandler).handle({ claimId: res.body.id })).toEqual({
        noShow: false,
      });
      const timers = await t.db.query(
        `SELECT run_at FROM outbox WHERE job_name = 'shift-claim.no-show-check' AND payload->>'claimId' = $1`,
        [res.body.id],
      );
      expect(timers).toHaveLength(2);
      expect(new Date(timers[1].run_at).toISOString()).toBe(res.body.checkInDeadline);
    });

    it('after the check-in deadline: no check-in, no cancelling away the no-show', async () => {
      const shift = await postShift(t, company, window(60, 2));
      const agent = await registerAgent(t);
      await claim(agent, shift.id).expect(201);
      await moveShift(t, shift.id, inMinutes(-20), inMinutes(100)); // deadline 10 min ago
      const refusals = async () => {
        const checkIn = await t.http
          .post(`/v1/shifts/${shift.id}/check-in`)
          .set(agent.auth)
          .expect(409);
        const cancel = await t.http
          .delete(`/v1/shifts/${shift.id}/claims/me`)
          .set(agent.auth)
          .expect(409);
        return [checkIn.body.error, cancel.body.error].map((e) => ({ ...e, requestId: null }));
      };
      const before = await refusals();
      expect(before).toMatchObject([
        { code: 'CHECK_IN_NOT_OPEN', details: { checkInDeadline: expect.any(String) } },
        { code: 'CLAIM_STATE_CONFLICT', details: { status: 'no_show' } },
      ]);
      // Once the no-show job has marked it, the same answers (they had been
      // CLAIM_STATE_CONFLICT and 404): what the agent is told does not depend on the timer.
      const claimId = (await t.http.get('/v1/agents/me/claims').set(agent.auth).expect(200)).body
        .items[0].id;
      await expect(t.app.get(NoShowCheckHandler).handle({ claimId })).resolves.toEqual({
        noShow: true,
      });
      expect(await refusals()).toEqual(before);
    });

    it('does not mark a checked-in seat as a no-show', async () => {
      const shift = await postShift(t, company, window(5, 2));
      const agent = await registerAgent(t);
      const res = await claim(agent, shift.id).expect(201);
      await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(agent.auth).expect(200);
      await moveShift(t, shift.id, inMinutes(-30), inMinutes(90));
      expect(await t.app.get(NoShowCheckHandler).handle({ claimId: res.body.id })).toEqual({
        noShow: false,
      });
    });

    it('skips waitlisted agents who are no longer eligible, keeping them in line', async () => {
      const shift = await postShift(t, company, { seats: 1, ...window(300, 1), languages: ['en'] });
      const holder = await registerAgent(t);
      await setProfile(t, holder, { languages: ['en'] });
      await claim(holder, shift.id).expect(201);
      const lapsed = await registerAgent(t);
      await setProfile(t, lapsed, { languages: ['en'] });
      await t.http.post(`/v1/shifts/${shift.id}/waitlist`).set(lapsed.auth).expect(201);
      const next = await registerAgent(t);
      await setProfile(t, next, { languages: ['en'] });
      expect(
        (await t.http.post(`/v1/shifts/${shift.id}/waitlist`).set(next.auth).expect(201)).body
          .position,
      ).toBe(2);
      await setProfile(t, lapsed, { languages: ['de'] }); // no longer speaks the shift's language
      await t.http.delete(`/v1/shifts/${shift.id}/claims/me`).set(holder.auth).expect(200);
      const detail = await t.http.get(`/v1/shifts/${shift.id}`).set(company.auth).expect(200);
      expect(
        detail.body.claims.find((c: { status: string }) => c.status === 'claimed').agentId,
      ).toBe(next.id);
      expect(detail.body.waitlist.map((w: { agentId: string }) => w.agentId)).toEqual([lapsed.id]);
    });

    it('never promotes an agent who left the waitlist while the seat was being given', async () => {
      const shift = await postShift(t, company, { seats: 1, ...window(320, 1) });
      const holder = await registerAgent(t);
      await claim(holder, shift.id).expect(201);
      const leaver = await registerAgent(t);
      await t.http.post(`/v1/shifts/${shift.id}/waitlist`).set(leaver.auth).expect(201);
      // The promotion reads the waitlist, then waits for the agent's lock; the agent's leaving
      // commits meanwhile (its DELETE, run here: the route's own sign-in check reads the agent
      // row, which this test holds).
      const { cancelled } = await withRowsHeld(
        t,
        'SELECT 1 FROM agents WHERE user_id = $1 FOR NO KEY UPDATE',
        [leaver.id],
        async () => {
          // Not awaited in here: it waits for the row this transaction holds.
          const done = t.http
            .delete(`/v1/shifts/${shift.id}/claims/me`)
            .set(holder.auth)
            .then((r) => r);
          await waitForLockWaiters(t, 1, 'the promotion to wait for the agent');
          await t.db.query('DELETE FROM shift_waitlist WHERE shift_id = $1 AND agent_id = $2', [
            shift.id,
            leaver.id,
          ]);
          return { cancelled: done };
        },
      );
      expect((await cancelled).status).toBe(200);
      const detail = await t.http.get(`/v1/shifts/${shift.id}`).set(company.auth).expect(200);
      expect(detail.body.claims.filter((c: { status: string }) => c.status === 'claimed')).toEqual(
        [],
      );
      expect(await seatsTaken(shift.id)).toBe(0);
    });

    it('shows each agent its own place in line on the open shifts, until it leaves', async () => {
      const shift = await postShift(t, company, { seats: 1, ...window(3 * 24 * 60, 1) });
      await claim(await registerAgent(t), shift.id).expect(201);
      const [first, second] = [await registerAgent(t), await registerAgent(t)];
      for (const a of [first, second]) {
        await t.http.post(`/v1/shifts/${shift.id}/waitlist`).set(a.auth).expect(201);
      }
      const placeOf = async (a: SignedIn) =>
        (
          await t.http.get('/v1/shifts/open?includeFull=true&limit=100').set(a.auth).expect(200)
        ).body.items.find((s: { id: string }) => s.id === shift.id)?.waitlistPosition;
      expect([await placeOf(first), await placeOf(second)]).toEqual([1, 2]);
      await t.http.delete(`/v1/shifts/${shift.id}/waitlist`).set(first.auth).expect(204);
      expect([await placeOf(first), await placeOf(second)]).toEqual([null, 1]);
    });

    it('refuses to waitlist a shift with free seats', async () => {
      const shift = await postShift(t, company);
      const res = await t.http
        .post(`/v1/shifts/${shift.id}/waitlist`)
        .set((await registerAgent(t)).auth)
        .expect(409);
      expect(res.body.error.code).toBe('SEATS_AVAILABLE');
    });

    it('completes the shift at its end: checked-in seats complete, unchecked ones are no-shows', async () => {
      const shift = await postShift(t, company, { seats: 3, ...window(5, 1) });
      const worker = await registerAgent(t);
      const absent = await registerAgent(t);
      await claim(worker, shift.id).expect(201);
      await claim(absent, shift.id).expect(201);
      await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(worker.auth).expect(200);
      const handler = t.app.get(ShiftCompleteHandler);
      expect(await handler.handle({ shiftId: shift.id })).toEqual({ completed: false }); // not due
      await moveShift(t, shift.id, inMinutes(-70), inMinutes(-10));
      expect(await handler.handle({ shiftId: shift.id })).toEqual({ completed: true });
      // Offers made on it just before the end are withdrawn, not left to hold their tickets.
      const [withdraw] = await t.db.query(
        `SELECT payload FROM outbox WHERE job_name = 'offers.withdraw' AND payload->>'shiftId' = $1`,
        [shift.id],
      );
      expect(withdraw.payload).toEqual({ shiftId: shift.id, agentId: null });
      expect(await handler.handle({ shiftId: shift.id })).toEqual({ completed: false });
      const detail = await t.http.get(`/v1/shifts/${shift.id}`).set(company.auth).expect(200);
      expect(detail.body).toMatchObject({ status: 'completed', seatsTaken: 1 });
      const statuses = Object.fromEntries(
        detail.body.claims.map((c: { agentId: string; status: string }) => [c.agentId, c.status]),
      );
      expect(statuses).toEqual({ [worker.id]: 'completed', [absent.id]: 'no_show' });
      const rel = await t.http.get('/v1/agents/me/reliability').set(worker.auth).expect(200);
      expect(rel.body).toMatchObject({ completed: 1, raw: 1 });
    });
  });

  describe('tenancy between agents', () => {
    it('shows an agent only its own claims and reliability', async () => {
      const shift = await postShift(t, company);
      const a = await registerAgent(t);
      const b = await registerAgent(t);
      await claim(a, shift.id).expect(201);
      expect((await t.http.get('/v1/agents/me/claims').set(b.auth).expect(200)).body.items).toEqual(
        [],
      );
      expect(
        (await t.http.get('/v1/agents/me/reliability').set(b.auth).expect(200)).body.completed,
      ).toBe(0);
      // B cannot cancel or check in on A's seat: B has none.
      await t.http.delete(`/v1/shifts/${shift.id}/claims/me`).set(b.auth).expect(404);
      expect(
        (await t.http.get('/v1/agents/me/claims').set(a.auth).expect(200)).body.items[0].status,
      ).toBe('claimed');
    });
  });
});

describe('seat timers through the outbox and a real worker', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ workers: true });
  });
  afterAll(async () => {
    await t.close();
  });

  it('marks a no-show when the delayed job fires', async () => {
    const company = await registerCompany(t);
    const agent = await registerAgent(t);
    const start = new Date(Date.now() + 3_000);
    const shift = await postShift(t, company, {
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + 3_600_000).toISOString(),
    });
    // A zero grace can no longer be posted (issue 13), but shifts stored with one keep it.
    await t.db.query('UPDATE shifts SET check_in_grace_minutes = 0 WHERE id = $1', [shift.id]);
    await t.http.post(`/v1/shifts/${shift.id}/claims`).set(agent.auth).expect(201);
    const status = await waitUntil(
      async () =>
        (await t.http.get('/v1/agents/me/claims').set(agent.auth)).body.items[0].status as string,
      (s) => s !== 'claimed',
      'the no-show check to fire',
      10_000,
    );
    expect(status).toBe('no_show');
  });
});

/*
 * Two reads on agents' pages go over seat history: the platform's reliability (every agent's
 * reliability read) and a company's worked seats (every page of open shifts). They scanned every
 * seat ever held; they read by index now (SeatHistoryIndexes).
 */
describe('seat history reads', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('reads the platform reliability and a company’s worked seats by index', async () => {
    // Two years of one agent's worked seats, a few days apart, analysed as a live database's
    // would be: the last 30 days are a small part of them.
    const company = await registerCompany(t, 'History Co');
    const shift = await postShift(t, company, window(60, 2));
    const agent = await registerAgent(t);
    await t.db.query(
      `INSERT INTO shift_claims (shift_id, agent_id, company_id, period, status, check_in_deadline,
                                 claimed_at, checked_in_at, checked_out_at, completed_at)
       SELECT $1, $2, $3, tstzrange(d, d + interval '2 hours'), s, d, d, d,
              d + interval '1 hour', CASE WHEN s = 'completed' THEN d + interval '2 hours' END
         FROM generate_series(1, 3000) AS n,
              LATERAL (SELECT now() - make_interval(hours => n * 6) AS d,
                              CASE WHEN n % 5 = 0 THEN 'left_early' ELSE 'completed' END AS s) x`,
      [shift.id, agent.id, company.companyId],
    );
    await t.db.query('ANALYZE shift_claims');
    const views = t.app.get(ShiftClaimViewsRepository);
    const reliability = await planOf(t.db, (em) => views.platformReliability(em, 30, 120));
    expect(reliability).toContain('ix_shift_claims_ended');
    const history = await planOf(t.db, (em) =>
      views.companyHistory(em, [company.companyId!], new Date(Date.now() - 30 * 86_400_000)),
    );
    expect(history).toContain('ix_shift_claims_company_completed');
    expect(history).toContain('ix_shift_claims_company_left_early');
  });

  // What a table's history made slow (SparseReadsIndexed): each walked the agent's, the
  // company's or the platform's whole history to find the few rows it wanted.
  it('reads pending offers, a company’s tickets with an agent and its agents by index', async () => {
    const company = await registerCompany(t, 'Sparse Co');
    const agent = await registerAgent(t);
    await insertTickets(t, company.companyId!, 2000);
    // 300 pending offers, six for each of 50 other agents: 6 of this company's, the rest of
    // another's (the platform's pending offers are many companies').
    const elsewhere = await registerCompany(t, 'Elsewhere Co');
    await insertTickets(t, elsewhere.companyId!, 294);
    const shift = await postShift(t, company, window(60, 2));
    await t.db.query(
      `WITH u AS (INSERT INTO users (email, password_hash, role)
                  SELECT 'sparse-' || g || '@example.com', 'x', 'agent' FROM generate_series(1, 50) g
                  RETURNING id),
            a AS (INSERT INTO agents (user_id, display_name) SELECT id, 'Sparse' FROM u
                  RETURNING user_id),
            n AS (SELECT user_id, row_number() OVER () AS k FROM a),
            tk AS (SELECT id, company_id, row_number() OVER () AS k
                     FROM ((SELECT id, company_id FROM tickets WHERE company_id = $1 LIMIT 6)
                           UNION ALL SELECT id, company_id FROM tickets WHERE company_id = $3) x)
       INSERT INTO offers (ticket_id, agent_id, company_id, shift_id, expires_at)
       SELECT tk.id, n.user_id, tk.company_id, $2, now() + interval '30 seconds'
         FROM tk JOIN n ON n.k = 1 + tk.k % 50`,
      [company.companyId, shift.id, elsewhere.companyId],
    );
    await t.db.query('ANALYZE tickets');
    await t.db.query('ANALYZE offers');
    const offers = await planOf(t.db, (em) =>
      t.app.get(OffersRepository).pendingCount(em, agent.id),
    );
    expect(offers).toContain('ix_offers_agent_pending');
    const routing = await planOf(t.db, (em) =>
      t.app.get(OfferRoutingRepository).candidateAgents(em, company.companyId!, 64),
    );
    expect(routing).toContain('ix_offers_agent_pending');
    const lapsed = await planOf(t.db, (em) =>
      t.app.get(OfferRoutingRepository).candidateWindow(em, agent.id, shift.id, company.companyId!),
    );
    expect(lapsed).toContain('ix_offers_company_pending');
    for (const status of ['claimed', 'withdrawn']) {
      const page = await planOf(t.db, (em) =>
        t.app.get(TicketsRepository).pageOfCompany(em, {
          ...{ companyId: company.companyId!, status, sort: 'newest', limit: 21 },
          ...{ priority: null, from: null, to: null, afterAt: null, afterId: null },
        }),
      );
      expect(page).toContain('ix_tickets_company_sparse_status');
    }
    const agents = await planOf(t.db, (em) =>
      t.app.get(ShiftClaimViewsRepository).companyAgents(em, company.companyId!),
    );
    expect(agents).toContain('ix_shift_claims_company_agent');
  });
});
