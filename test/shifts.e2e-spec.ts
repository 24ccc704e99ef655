import {
  createApiKey,
  PASSWORD,
  registerAgent,
  registerCompany,
  rowCounts,
  SignedIn,
} from './support/factories';
import { inMinutes, moveShift, postShift, setProfile, shiftBody } from './support/shifts';
import { createTestApp, TestApp } from './support/test-app';
import { withApiClockOff } from './support/clock';
import { waitFor } from './support/wait-for';
import { waitForLockWaiters, withRowsHeld } from './support/row-locks';
import { escalate, liveAgents } from './support/tickets';

const fields = (res: { body: { error: { details: { fields: { field: string }[] } } } }) =>
  res.body.error.details.fields.map((f) => f.field);

describe('shifts (company side)', () => {
  let t: TestApp;
  let acme: SignedIn;
  let globex: SignedIn;
  beforeAll(async () => {
    t = await createTestApp();
    acme = await registerCompany(t, 'Acme');
    globex = await registerCompany(t, 'Globex');
  });
  afterAll(async () => {
    await t.close();
  });

  it('posts a shift and reads it back with seats taken', async () => {
    const body = shiftBody({
      requiredSkills: [{ skill: 'billing', minLevel: 3 }],
      languages: ['en', 'pt'],
      requiresCertification: true,
      checkInGraceMinutes: 5,
    });
    const res = await t.http.post('/v1/shifts').set(acme.auth).send(body).expect(201);
    expect(res.body).toMatchObject({
      companyId: acme.companyId,
      seats: 5,
      seatsTaken: 0,
      seatsLeft: 5,
      requiredSkills: [{ skill: 'billing', minLevel: 3 }],
      languages: ['en', 'pt'],
      ratePerTicket: { amountMinor: 250, currency: 'EUR' },
      requiresCertification: true,
      checkInGraceMinutes: 5,
      status: 'scheduled',
    });
    expect(new Date(res.body.startsAt).toISOString()).toBe(body.startsAt);
    const detail = await t.http.get(`/v1/shifts/${res.body.id}`).set(acme.auth).expect(200);
    expect(detail.body).toMatchObject({ id: res.body.id, claims: [], waitlist: [] });
  });

  it('schedules its completion timer through the outbox, in the same transaction', async () => {
    const shift = await postShift(t, acme);
    const [row] = await t.db.query(
      `SELECT job_name, run_at FROM outbox WHERE payload->>'shiftId' = $1`,
      [shift.id],
    );
    expect(row.job_name).toBe('shift.complete');
    expect(new Date(row.run_at).toISOString()).toBe(shift.endsAt);
  });

  it.each([
    [
      'startsAt in the past',
      { startsAt: inMinutes(-60).toISOString(), endsAt: inMinutes(60).toISOString() },
      ['startsAt'],
    ],
    [
      'end before start',
      { startsAt: inMinutes(120).toISOString(), endsAt: inMinutes(60).toISOString() },
      ['endsAt'],
    ],
    [
      'shorter than 15 minutes',
      { startsAt: inMinutes(60).toISOString(), endsAt: inMinutes(70).toISOString() },
      ['endsAt'],
    ],
    [
      'longer than 12 hours',
      { startsAt: inMinutes(60).toISOString(), endsAt: inMinutes(60 + 12 * 60 + 1).toISOString() },
      ['endsAt'],
    ],
    ['no time zone offset', { startsAt: '2030-01-01T09:00:00' }, ['startsAt']],
    // RFC 3339 requires the seconds (the document says date-time, which validators hold to).
    ['no seconds', { startsAt: '2030-01-01T09:00Z' }, ['startsAt']],
    ['not a date', { endsAt: 'tomorrow' }, ['endsAt']],
    ['ISO week date', { startsAt: '2030-W01-1T10:00Z' }, ['startsAt']],
    ['ISO basic format', { startsAt: '20300101T100000Z' }, ['startsAt']],
    ['impossible date', { startsAt: '2030-02-30T10:00:00Z' }, ['startsAt']],
    ['seats 0', { seats: 0 }, ['seats']],
    ['seats 501', { seats: 501 }, ['seats']],
    [
      'unknown skill',
      {
        requiredSkills: [
          { skill: 'billing', minLevel: 1 },
          { skill: 'juggling', minLevel: 2 },
        ],
      },
      ['requiredSkills.1.skill'],
    ],
    [
      'level out of range',
      { requiredSkills: [{ skill: 'billing', minLevel: 0 }] },
      ['requiredSkills.0.minLevel'],
    ],
    [
      'skill listed twice',
      {
        requiredSkills: [
          { skill: 'billing', minLevel: 1 },
          { skill: 'billing', minLevel: 2 },
        ],
      },
      ['requiredSkills.1.skill'],
    ],
    ['bad language', { languages: ['english'] }, ['languages']],
    [
      'bad currency',
      { ratePerTicket: { amountMinor: 100, currency: 'EURO' } },
      ['ratePerTicket.currency'],
    ],
    [
      'lower-case currency',
      { ratePerTicket: { amountMinor: 100, currency: 'eur' } },
      ['ratePerTicket.currency'],
    ],
    // ISO 4217, but Stripe charges no card in it: its invoice could never be issued.
    [
      'a currency Stripe does not charge in',
      { ratePerTicket: { amountMinor: 100, currency: 'IRR' } },
      ['ratePerTicket.currency'],
    ],
    // Stripe charges these only in whole krónur, or with a last digit 0: a fee's share is not.
    ['ISK', { ratePerTicket: { amountMinor: 10000, currency: 'ISK' } }, ['ratePerTicket.currency']],
    [
      'a three-decimal currency',
      { ratePerTicket: { amountMinor: 1000, currency: 'KWD' } },
      ['ratePerTicket.currency'],
    ],
    [
      'fractional amount',
      { ratePerTicket: { amountMinor: 2.5, currency: 'EUR' } },
      ['ratePerTicket.amountMinor'],
    ],
    [
      'zero amount',
      { ratePerTicket: { amountMinor: 0, currency: 'EUR' } },
      ['ratePerTicket.amountMinor'],
    ],
    ['grace over 120', { checkInGraceMinutes: 121 }, ['checkInGraceMinutes']],
    // Under 2 minutes, a few seconds late is a no-show (issue 13).
    ['grace 0', { checkInGraceMinutes: 0 }, ['checkInGraceMinutes']],
    ['grace 1', { checkInGraceMinutes: 1 }, ['checkInGraceMinutes']],
  ])('refuses %s, naming the field, writing nothing', async (_case, overrides, expected) => {
    const before = await rowCounts(t);
    const res = await t.http
      .post('/v1/shifts')
      .set(acme.auth)
      .send(shiftBody(overrides))
      .expect(400);
    expect(fields(res)).toEqual(expected);
    expect(await rowCounts(t)).toEqual(before);
  });

  it('lists only the company’s own shifts, soonest first, with cursor pagination', async () => {
    const company = await registerCompany(t, 'Lister');
    const ids = [];
    for (const hours of [30, 10, 20]) {
      const start = inMinutes(hours * 60);
      ids.push(
        (
          await postShift(t, company, {
            startsAt: start.toISOString(),
            endsAt: new Date(start.getTime() + 3_600_000).toISOString(),
          })
        ).id,
      );
    }
    const first = await t.http.get('/v1/shifts?limit=2').set(company.auth).expect(200);
    expect(first.body.items.map((s: { id: string }) => s.id)).toEqual([ids[1], ids[2]]);
    const second = await t.http
      .get(`/v1/shifts?limit=2&cursor=${first.body.nextCursor}`)
      .set(company.auth)
      .expect(200);
    expect(second.body.items.map((s: { id: string }) => s.id)).toEqual([ids[0]]);
    expect(second.body.nextCursor).toBeNull();
    const bad = await t.http.get('/v1/shifts?cursor=garbage').set(company.auth).expect(400);
    expect(fields(bad)).toEqual(['cursor']);
    const forged = Buffer.from(JSON.stringify(['x', 'y'])).toString('base64url');
    const forgedRes = await t.http.get(`/v1/shifts?cursor=${forged}`).set(company.auth).expect(400);
    expect(fields(forgedRes)).toEqual(['cursor']);
    const badFrom = await t.http
      .get('/v1/shifts?from=2030-001T10:00Z')
      .set(company.auth)
      .expect(400);
    expect(fields(badFrom)).toEqual(['from']);
    const badLimit = await t.http.get('/v1/shifts?limit=1000').set(company.auth).expect(400);
    expect(fields(badLimit)).toEqual(['limit']);
  });

  it("keeps shifts to their company: B cannot read, change or cancel A's", async () => {
    const shift = await postShift(t, acme);
    await t.http.get(`/v1/shifts/${shift.id}`).set(globex.auth).expect(404);
    await t.http
      .patch(`/v1/shifts/${shift.id}`)
      .set(globex.auth)
      .send({ title: 'mine now' })
      .expect(404);
    await t.http.post(`/v1/shifts/${shift.id}/cancel`).set(globex.auth).send({}).expect(404);
    const list = await t.http.get('/v1/shifts?limit=100').set(globex.auth).expect(200);
    expect(list.body.items.map((s: { id: string }) => s.id)).not.toContain(shift.id);
    const still = await t.http.get(`/v1/shifts/${shift.id}`).set(acme.auth).expect(200);
    expect(still.body).toMatchObject({ title: 'Billing cover', status: 'scheduled' });
  });

  describe('changes', () => {
    it('clears a title sent empty or blank (the console sends "" for an emptied field)', async () => {
      const shift = await postShift(t, acme);
      for (const title of ['', '   ']) {
        await t.http
          .patch(`/v1/shifts/${shift.id}`)
          .set(acme.auth)
          .send({ title: 'Named again' })
          .expect(200);
        const cleared = await t.http
          .patch(`/v1/shifts/${shift.id}`)
          .set(acme.auth)
          .send({ title })
          .expect(200);
        expect(cleared.body.title).toBeNull();
      }
    });

    it('empties the waitlist when no seat is taken and the change would be refused with one (another window), not for a safe one', async () => {
      const shift = await postShift(t, acme, { seats: 1, languages: ['en'] });
      const [holder, waiting] = [await registerAgent(t), await registerAgent(t)];
      for (const a of [holder, waiting]) await setProfile(t, a, { languages: ['en'] });
      await t.http.post(`/v1/shifts/${shift.id}/claims`).set(holder.auth).expect(201);
      await t.http.post(`/v1/shifts/${shift.id}/waitlist`).set(waiting.auth).expect(201);
      // No longer eligible, so the freed seat passes it over: it stays in line, no seat taken.
      await setProfile(t, waiting, { languages: ['fr'] });
      await t.http.delete(`/v1/shifts/${shift.id}/claims/me`).set(holder.auth).expect(200);
      const line = async () =>
        (await t.http.get(`/v1/shifts/${shift.id}`).set(acme.auth).expect(200)).body;
      expect(await line()).toMatchObject({ seatsTaken: 0, waitlist: [{ agentId: waiting.id }] });
      // A safe change (a title, more seats) keeps the line.
      await t.http
        .patch(`/v1/shifts/${shift.id}`)
        .set(acme.auth)
        .send({ title: 'Renamed', seats: 2 })
        .expect(200);
      expect((await line()).waitlist).toHaveLength(1);
      // The whole shift sent back as it is (a client that PUTs what it read) changes nothing.
      const current = await line();
      await t.http
        .patch(`/v1/shifts/${shift.id}`)
        .set(acme.auth)
        .send({
          startsAt: current.startsAt,
          endsAt: current.endsAt,
          languages: ['en'],
          requiredSkills: [],
          checkInGraceMinutes: current.checkInGraceMinutes,
          routing: current.routing,
        })
        .expect(200);
      expect((await line()).waitlist).toHaveLength(1);
      // Another window: the agent joined for other hours.
      const start = inMinutes(72 * 60);
      await t.http
        .patch(`/v1/shifts/${shift.id}`)
        .set(acme.auth)
        .send({
          startsAt: start.toISOString(),
          endsAt: new Date(start.getTime() + 3_600_000).toISOString(),
        })
        .expect(200);
      expect((await line()).waitlist).toEqual([]);
      // The agent is told its place went, and why (it went without a word).
      const told = await waitFor(async () => {
        const e = await t.http
          .get('/v1/events?types=shift.waitlist_cleared')
          .set(waiting.auth)
          .expect(200);
        return e.body.items.length > 0 && e.body.items;
      }, 'the shift.waitlist_cleared event');
      expect(told.map((e: { data: unknown }) => e.data)).toEqual([
        {
          shiftId: shift.id,
          title: 'Renamed',
          startsAt: start.toISOString(),
          endsAt: new Date(start.getTime() + 3_600_000).toISOString(),
          changed: ['endsAt', 'startsAt'],
        },
      ]);
    });

    it('accepts any change before a seat is taken, and re-arms the completion timer', async () => {
      const shift = await postShift(t, acme);
      const start = inMinutes(48 * 60);
      const end = new Date(start.getTime() + 2 * 3_600_000);
      const res = await t.http
        .patch(`/v1/shifts/${shift.id}`)
        .set(acme.auth)
        .send({
          startsAt: start.toISOString(),
          endsAt: end.toISOString(),
          languages: ['de'],
          requiredSkills: [{ skill: 'fraud', minLevel: 2 }],
          ratePerTicket: { amountMinor: 100, currency: 'EUR' },
        })
        .expect(200);
      expect(res.body).toMatchObject({
        languages: ['de'],
        requiredSkills: [{ skill: 'fraud', minLevel: 2 }],
        ratePerTicket: { amountMinor: 100 },
      });
      const timers = await t.db.query(
        `SELECT run_at FROM outbox WHERE job_name = 'shift.complete' AND payload->>'shiftId' = $1 ORDER BY id`,
        [shift.id],
      );
      expect(new Date(timers.at(-1).run_at).toISOString()).toBe(end.toISOString());
    });

    it('once a seat is taken, accepts only changes safe for seat holders', async () => {
      const shift = await postShift(t, acme, { seats: 2 });
      const agent = await registerAgent(t);
      await setProfile(t, agent, {});
      await t.http.post(`/v1/shifts/${shift.id}/claims`).set(agent.auth).expect(201);

      const unsafe = await t.http
        .patch(`/v1/shifts/${shift.id}`)
        .set(acme.auth)
        .send({
          startsAt: inMinutes(50 * 60).toISOString(),
          languages: ['fr'],
          ratePerTicket: { amountMinor: 100, currency: 'EUR' },
        })
        .expect(409);
      expect(unsafe.body.error.code).toBe('SHIFT_HAS_CLAIMS');
      expect(fields(unsafe).sort()).toEqual(['languages', 'ratePerTicket', 'startsAt']);
      // Each says how it may still move, if it may: a raise of the rate is welcome.
      expect(unsafe.body.error.details.fields).toEqual(
        expect.arrayContaining([
          { field: 'languages', messages: ['languages cannot change once seats are taken'] },
          {
            field: 'ratePerTicket',
            messages: ['ratePerTicket can only go up, in the same currency, once seats are taken'],
          },
        ]),
      );
      // The same values sent back are no change: a client resending the shift as read.
      await t.http
        .patch(`/v1/shifts/${shift.id}`)
        .set(acme.auth)
        .send({ languages: [], requiredSkills: [], routing: 'pull', title: 'Same again' })
        .expect(200);
      const below = await t.http
        .patch(`/v1/shifts/${shift.id}`)
        .set(acme.auth)
        .send({ seats: 0 })
        .expect(400);
      expect(fields(below)).toEqual(['seats']);
      const tooFew = await t.http
        .patch(`/v1/shifts/${shift.id}`)
        .set(acme.auth)
        .send({ seats: 1, title: 'x' });
      expect(tooFew.status).toBe(200); // 1 seat, 1 taken: allowed
      await t.http.patch(`/v1/shifts/${shift.id}`).set(acme.auth).send({ seats: 3 }).expect(200);
      const safe = await t.http
        .patch(`/v1/shifts/${shift.id}`)
        .set(acme.auth)
        .send({ title: 'Renamed', ratePerTicket: { amountMinor: 400, currency: 'EUR' } })
        .expect(200);
      expect(safe.body).toMatchObject({
        title: 'Renamed',
        seats: 3,
        seatsTaken: 1,
        ratePerTicket: { amountMinor: 400 },
      });
      expect(safe.body.claims).toHaveLength(1);
    });

    it('a ticket still held under a shift whose seat was given up keeps its terms: its rate cannot drop or change currency before it is resolved', async () => {
      const bot = await createApiKey(t, globex);
      const { shiftId, agents } = await liveAgents(t, globex.auth, 1, {}, { seats: 1 });
      const [agent] = agents;
      const ticket = await escalate(t, bot);
      await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);
      // Left early: the seat is free at once, the ticket stays held for the handover grace.
      const out = await t.http.post(`/v1/shifts/${shiftId}/check-out`).set(agent.auth).expect(200);
      expect(out.body.status).toBe('left_early');
      const patch = (body: Record<string, unknown>) =>
        t.http.patch(`/v1/shifts/${shiftId}`).set(globex.auth).send(body);
      expect((await patch({ title: 'Still fine' }).expect(200)).body.seatsTaken).toBe(0);
      const cheaper = await patch({ ratePerTicket: { amountMinor: 1, currency: 'USD' } }).expect(
        409,
      );
      expect(cheaper.body.error).toMatchObject({
        code: 'SHIFT_HAS_CLAIMS',
        details: { ticketsHeld: 1 },
      });
      expect(fields(cheaper)).toEqual(['ratePerTicket']);
      const resolved = await t.http
        .post(`/v1/tickets/${ticket.id}/resolve`)
        .set(agent.auth)
        .send({ resolutionSummary: 'done' })
        .expect(200);
      expect(resolved.body.pay).toEqual({ amountMinor: 250, currency: 'EUR' });
      // Nothing held any more: the shift is the company's to change again.
      await patch({ ratePerTicket: { amountMinor: 1, currency: 'USD' } }).expect(200);
    });

    it('routing changes only while no seat is taken; offer time and away cap only go up after, to no cap too', async () => {
      const shift = await postShift(t, acme, { seats: 2, offerSeconds: 30, maxAwayMinutes: 20 });
      const patch = (body: Record<string, unknown>) =>
        t.http.patch(`/v1/shifts/${shift.id}`).set(acme.auth).send(body);
      // No seat taken: anything goes, both ways.
      expect((await patch({ routing: 'push', offerSeconds: 15 }).expect(200)).body).toMatchObject({
        routing: 'push',
        offerSeconds: 15,
      });
      await patch({ routing: 'pull', maxAwayMinutes: 10 }).expect(200);
      await patch({ routing: 'push' }).expect(200);
      const agent = await registerAgent(t);
      await setProfile(t, agent, {});
      await t.http.post(`/v1/shifts/${shift.id}/claims`).set(agent.auth).expect(201);

      const unsafe = await patch({ routing: 'pull', offerSeconds: 14, maxAwayMinutes: 9 }).expect(
        409,
      );
      expect(unsafe.body.error.code).toBe('SHIFT_HAS_CLAIMS');
      expect(fields(unsafe).sort()).toEqual(['maxAwayMinutes', 'offerSeconds', 'routing']);
      const up = await patch({ offerSeconds: 60, maxAwayMinutes: 30 }).expect(200);
      expect(up.body).toMatchObject({ routing: 'push', offerSeconds: 60, maxAwayMinutes: 30 });
      // No cap (null) is the highest: it may be set with seats taken, and a shift without one
      // cannot get one back.
      const uncapped = await patch({ maxAwayMinutes: null }).expect(200);
      expect(uncapped.body.maxAwayMinutes).toBeNull();
      const [{ cap }] = await t.db.query(
        'SELECT max_away_minutes AS cap FROM shifts WHERE id = $1',
        [shift.id],
      );
      expect(cap).toBeNull();
      expect(fields(await patch({ maxAwayMinutes: 720 }).expect(409))).toEqual(['maxAwayMinutes']);
      expect(fields(await patch({ maxAwayMinutes: 'none' }).expect(400))).toEqual([
        'maxAwayMinutes',
      ]);
      const [row] = await t.db.query('SELECT routing, offer_seconds FROM shifts WHERE id = $1', [
        shift.id,
      ]);
      expect(row).toEqual({ routing: 'push', offer_seconds: 60 });
    });

    it('refuses a new end for a started shift naming endsAt, not the startsAt it was not sent', async () => {
      const shift = await postShift(t, acme);
      await moveShift(t, shift.id, inMinutes(-30), inMinutes(60));
      const res = await t.http
        .patch(`/v1/shifts/${shift.id}`)
        .set(acme.auth)
        .send({ endsAt: inMinutes(90).toISOString() })
        .expect(400);
      expect(res.body.error.details.fields).toEqual([
        { field: 'endsAt', messages: ['endsAt cannot change once the shift has started'] },
      ]);
      // Its window sent back as read, with another change: no change of the window, accepted.
      const read = await t.http.get(`/v1/shifts/${shift.id}`).set(acme.auth).expect(200);
      const more = await t.http
        .patch(`/v1/shifts/${shift.id}`)
        .set(acme.auth)
        .send({
          startsAt: read.body.startsAt,
          endsAt: read.body.endsAt,
          seats: read.body.seats + 1,
        })
        .expect(200);
      expect(more.body).toMatchObject({ startsAt: read.body.startsAt, seats: read.body.seats + 1 });
    });

    it('does not move a started shift: its seats, check-ins and no-shows are of that window', async () => {
      const shift = await postShift(t, acme);
      // Running, and no seat taken now (as after a seat left early, or a no-show).
      await moveShift(t, shift.id, inMinutes(-30), inMinutes(60));
      const res = await t.http
        .patch(`/v1/shifts/${shift.id}`)
        .set(acme.auth)
        .send({
          startsAt: inMinutes(2 * 24 * 60).toISOString(),
          endsAt: inMinutes(2 * 24 * 60 + 240).toISOString(),
        })
        .expect(400);
      expect(res.body.error.details.fields).toEqual([
        { field: 'startsAt', messages: ['startsAt cannot change once the shift has started'] },
        { field: 'endsAt', messages: ['endsAt cannot change once the shift has started'] },
      ]);
    });

    it("judges a shift started by the database's clock, though this API's runs behind", async () => {
      const shift = await postShift(t, acme);
      await moveShift(t, shift.id, inMinutes(-1), inMinutes(60));
      await withApiClockOff(-120_000, async () => {
        const { body } = await t.http
          .post('/v1/auth/login')
          .send({ email: acme.email, password: PASSWORD })
          .expect(200);
        const res = await t.http
          .patch(`/v1/shifts/${shift.id}`)
          .set('Authorization', `Bearer ${body.accessToken}`)
          .send({ endsAt: inMinutes(90).toISOString() })
          .expect(400);
        expect(res.body.error.details.fields[0].field).toBe('endsAt');
      });
    });

    it('names the field sent when a new start makes the shift too short', async () => {
      const shift = await postShift(t, acme);
      const res = await t.http
        .patch(`/v1/shifts/${shift.id}`)
        .set(acme.auth)
        .send({ startsAt: new Date(Date.parse(shift.endsAt as string) - 5 * 60_000).toISOString() })
        .expect(400);
      expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual([
        'startsAt',
      ]);
    });

    it('refuses a check-in grace under 2 minutes, and leaves older shifts below it alone', async () => {
      const shift = await postShift(t, acme, { checkInGraceMinutes: 2 });
      expect(shift.checkInGraceMinutes).toBe(2);
      const res = await t.http
        .patch(`/v1/shifts/${shift.id}`)
        .set(acme.auth)
        .send({ checkInGraceMinutes: 1 })
        .expect(400);
      expect(fields(res)).toEqual(['checkInGraceMinutes']);
      expect(res.body.error.details.fields[0].messages).toEqual([
        'checkInGraceMinutes must be at least 2 (minutes after the start before a seat is a no-show)',
      ]);
      // A shift stored with a 0 grace before the rule: other changes still go through.
      await t.db.query('UPDATE shifts SET check_in_grace_minutes = 0 WHERE id = $1', [shift.id]);
      const renamed = await t.http
        .patch(`/v1/shifts/${shift.id}`)
        .set(acme.auth)
        .send({ title: 'Renamed' })
        .expect(200);
      expect(renamed.body).toMatchObject({ title: 'Renamed', checkInGraceMinutes: 0 });
    });

    it('refuses seats below those taken', async () => {
      const shift = await postShift(t, acme, { seats: 3 });
      for (let i = 0; i < 2; i++) {
        const agent = await registerAgent(t);
        await t.http.post(`/v1/shifts/${shift.id}/claims`).set(agent.auth).expect(201);
      }
      const res = await t.http
        .patch(`/v1/shifts/${shift.id}`)
        .set(acme.auth)
        .send({ seats: 1 })
        .expect(409);
      expect(res.body.error).toMatchObject({
        code: 'SEATS_BELOW_TAKEN',
        details: {
          seatsTaken: 2,
          fields: [{ field: 'seats', messages: ['seats must not be below the 2 taken'] }],
        },
      });
    });
  });

  it('cancels a shift: claims end with no mark on the agents; no further change', async () => {
    const shift = await postShift(t, acme, {
      seats: 3,
      startsAt: inMinutes(60).toISOString(),
      endsAt: inMinutes(180).toISOString(),
    });
    const agent = await registerAgent(t);
    await t.http.post(`/v1/shifts/${shift.id}/claims`).set(agent.auth).expect(201);
    const res = await t.http
      .post(`/v1/shifts/${shift.id}/cancel`)
      .set(acme.auth)
      .send({ reason: 'bot fixed' })
      .expect(200);
    // Told at once (it had to read its seats again to find out).
    const told = await waitFor(async () => {
      const e = await t.http.get('/v1/events?types=shift.cancelled').set(agent.auth).expect(200);
      return e.body.items.length > 0 && e.body.items;
    }, 'the shift.cancelled event');
    expect(told.map((e: { data: unknown }) => e.data)).toEqual([
      expect.objectContaining({ shiftId: shift.id, reason: 'bot fixed', seat: 'released' }),
    ]);
    expect(res.body).toMatchObject({
      status: 'cancelled',
      cancelReason: 'bot fixed',
      seatsTaken: 0,
    });
    const claims = await t.http.get('/v1/agents/me/claims').set(agent.auth).expect(200);
    expect(claims.body.items[0]).toMatchObject({
      shiftId: shift.id,
      status: 'cancelled',
      lateCancellation: false,
    });
    const reliability = await t.http.get('/v1/agents/me/reliability').set(agent.auth).expect(200);
    expect(reliability.body).toMatchObject({ lateCancellations: 0, cancellations: 0, noShows: 0 });
    const again = await t.http
      .post(`/v1/shifts/${shift.id}/cancel`)
      .set(acme.auth)
      .send({})
      .expect(409);
    expect(again.body.error.code).toBe('SHIFT_CLOSED');
    await t.http.patch(`/v1/shifts/${shift.id}`).set(acme.auth).send({ title: 'x' }).expect(409);
    await t.http.post(`/v1/shifts/${shift.id}/claims`).set(agent.auth).expect(409);
  });

  it('a cancellation waits for an offer or ticket claim being written on the shift, so what it queues sees it', async () => {
    const shift = await postShift(t, acme, {
      startsAt: inMinutes(60).toISOString(),
      endsAt: inMinutes(180).toISOString(),
    });
    // As the router's offer (or an agent's ticket claim) holds while its row is being inserted:
    // the foreign key's key share on the shift. The cancellation queues the withdrawal of the
    // shift's offers, which must find that offer committed.
    const cancelled = await withRowsHeld(
      t,
      'SELECT 1 FROM shifts WHERE id = $1 FOR KEY SHARE',
      [shift.id],
      async (held) => {
        const answer = t.http.post(`/v1/shifts/${shift.id}/cancel`).set(acme.auth).send({}).then();
        await waitForLockWaiters(t, 1, 'the cancellation to wait for the insert');
        await held.commitTransaction();
        return answer;
      },
    );
    expect(cancelled.status).toBe(200);
  });

  it('tells the agents waiting for a seat that the shift was cancelled', async () => {
    const shift = await postShift(t, acme, { seats: 1 });
    const [holder, waiter] = [await registerAgent(t), await registerAgent(t)];
    await t.http.post(`/v1/shifts/${shift.id}/claims`).set(holder.auth).expect(201);
    await t.http.post(`/v1/shifts/${shift.id}/waitlist`).set(waiter.auth).expect(201);
    await t.http.post(`/v1/shifts/${shift.id}/cancel`).set(acme.auth).send({}).expect(200);
    const told = await waitFor(async () => {
      const e = await t.http.get('/v1/events?types=shift.cancelled').set(waiter.auth).expect(200);
      return e.body.items.length > 0 && e.body.items;
    }, 'the shift.cancelled event');
    expect(told.map((e: { data: unknown }) => e.data)).toEqual([
      expect.objectContaining({ shiftId: shift.id, reason: null, seat: 'waitlist' }),
    ]);
  });

  it('cancelling a running shift keeps what was worked, and a missed check-in its no-show; an ended one cannot be cancelled', async () => {
    const shift = await postShift(t, acme, {
      seats: 3,
      startsAt: inMinutes(10).toISOString(),
      endsAt: inMinutes(130).toISOString(),
    });
    const [worker, absent, missed] = [
      await registerAgent(t),
      await registerAgent(t),
      await registerAgent(t),
    ];
    for (const a of [worker, absent, missed]) {
      await t.http.post(`/v1/shifts/${shift.id}/claims`).set(a.auth).expect(201);
    }
    await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(worker.auth).expect(200);
    await moveShift(t, shift.id, inMinutes(-60), inMinutes(60)); // an hour in
    // `absent` missed its check-in (the deadline passed 50 minutes ago; its no-show job has not
    // run, the workers behind); `missed`'s deadline is still to come (a seat taken late).
    await t.db.query(
      `UPDATE shift_claims SET check_in_deadline = now() + interval '5 minutes'
        WHERE shift_id = $1 AND agent_id = $2`,
      [shift.id, missed.id],
    );
    const res = await t.http
      .post(`/v1/shifts/${shift.id}/cancel`)
      .set(acme.auth)
      .send({ reason: 'volume dropped' })
      .expect(200);
    expect(res.body).toMatchObject({ status: 'cancelled', seatsTaken: 1 });
    const seat = async (a: SignedIn) =>
      (await t.http.get('/v1/agents/me/claims').set(a.auth).expect(200)).body.items[0];
    const worked = await seat(worker);
    // Completed, and the agent sees that the company ended it before its time.
    expect(worked).toMatchObject({
      status: 'completed',
      checkedOutAt: expect.any(String),
      endedBy: 'company',
    });
    expect(Math.abs(Date.parse(worked.checkedOutAt) - Date.now())).toBeLessThan(60_000);
    // The missed check-in stays the no-show it was; the seat still in time is released clean.
    expect(await seat(absent)).toMatchObject({ status: 'no_show' });
    const record = await t.http.get('/v1/agents/me/reliability').set(absent.auth).expect(200);
    expect(record.body).toMatchObject({ noShows: 1 });
    expect(await seat(missed)).toMatchObject({ status: 'cancelled', lateCancellation: false });
    // Each told what became of its place; the no-show is not told of a seat it never came to.
    const toldOf = async (a: SignedIn) =>
      (await t.http.get('/v1/events?types=shift.cancelled').set(a.auth).expect(200)).body.items.map(
        (e: { data: { seat: string } }) => e.data.seat,
      );
    await waitFor(async () => (await toldOf(worker)).length > 0, 'the shift.cancelled events');
    expect(await toldOf(worker)).toEqual(['ended']);
    expect(await toldOf(missed)).toEqual(['released']);
    expect(await toldOf(absent)).toEqual([]);

    const ended = await postShift(t, acme, {
      startsAt: inMinutes(10).toISOString(),
      endsAt: inMinutes(70).toISOString(),
    });
    await moveShift(t, ended.id, inMinutes(-90), inMinutes(-30)); // its completion not run yet
    const late = await t.http
      .post(`/v1/shifts/${ended.id}/cancel`)
      .set(acme.auth)
      .send({})
      .expect(409);
    expect(late.body.error.code).toBe('SHIFT_CLOSED');

    // Ended by the database's clock, which its completion job reads, though this API process's
    // clock runs a minute behind: it completes, it is not cancelled.
    const justEnded = await postShift(t, acme, {
      startsAt: inMinutes(10).toISOString(),
      endsAt: inMinutes(70).toISOString(),
    });
    await moveShift(t, justEnded.id, inMinutes(-60.5), inMinutes(-0.5));
    const clock = jest.spyOn(Date, 'now').mockReturnValue(Date.now() - 60_000);
    try {
      const behind = await t.http
        .post(`/v1/shifts/${justEnded.id}/cancel`)
        .set(acme.auth)
        .send({})
        .expect(409);
      expect(behind.body.error.code).toBe('SHIFT_CLOSED');
    } finally {
      clock.mockRestore();
    }
  });
});
