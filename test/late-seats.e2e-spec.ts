import { validateEnv } from '../src/config/env.validation';
import { NoShowCheckHandler } from '../src/modules/shifts/shift-timers.handlers';
import { registerAgent, registerCompany, SignedIn } from './support/factories';
import { inMinutes, moveShift, postShift, setProfile } from './support/shifts';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';
import { withApiClockOff } from './support/clock';

/*
 * A started shift with free seats can be joined while at least SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END
 * (default 30) remain (issue 13). The seat is held from the claim: its check-in deadline, its
 * period (overlap exclusion) and its weekly hours count from there.
 */

/** A shift posted ahead, then moved so that it started `agoMin` ago and ends in `leftMin`. */
async function startedShift(
  t: TestApp,
  company: SignedIn,
  agoMin: number,
  leftMin: number,
  overrides: Record<string, unknown> = {},
) {
  const shift = await postShift(t, company, overrides);
  await moveShift(t, shift.id, inMinutes(-agoMin), inMinutes(leftMin));
  return shift;
}

const claim = (t: TestApp, agent: SignedIn, shiftId: string) =>
  t.http.post(`/v1/shifts/${shiftId}/claims`).set(agent.auth);

describe('joining a started shift', () => {
  let t: TestApp;
  let company: SignedIn;
  beforeAll(async () => {
    t = await createTestApp({ env: { WEEKLY_HOURS_CAP: '10' } });
    company = await registerCompany(t, 'Late Co');
  });
  afterAll(async () => {
    await t.close();
  });

  const seat = async (claimId: string) =>
    (
      await t.db.query(
        `SELECT lower(period) AS held_from, upper(period) AS held_to, claimed_at
           FROM shift_claims WHERE id = $1`,
        [claimId],
      )
    )[0] as { held_from: Date; held_to: Date; claimed_at: Date };

  it('lists it and takes a seat while 30 minutes remain; check-in counts from the claim', async () => {
    const shift = await startedShift(t, company, 60, 60, { checkInGraceMinutes: 5 });
    const agent = await registerAgent(t);
    const open = await t.http.get('/v1/shifts/open?limit=100').set(agent.auth).expect(200);
    const listed = open.body.items.find((s: { id: string }) => s.id === shift.id);
    expect(Date.parse(listed.claimsCloseAt)).toBe(Date.parse(listed.endsAt) - 30 * 60_000);

    const res = await claim(t, agent, shift.id).expect(201);
    expect(res.body).toMatchObject({ status: 'claimed', source: 'direct' });
    expect(Date.parse(res.body.checkInDeadline) - Date.parse(res.body.claimedAt)).toBe(5 * 60_000);
    const [timer] = await t.db.query(
      `SELECT run_at FROM outbox WHERE job_name = 'shift-claim.no-show-check' AND payload->>'claimId' = $1`,
      [res.body.id],
    );
    expect(new Date(timer.run_at).toISOString()).toBe(res.body.checkInDeadline);
    // The seat is held from the claim to the end, not from the start it missed.
    const held = await seat(res.body.id);
    expect(held.held_from.toISOString()).toBe(held.claimed_at.toISOString());
    // Cancelling it would be late from the claim on (its start is the claim).
    expect(Date.parse(res.body.lateCancelStartsAt)).toBe(
      Date.parse(res.body.claimedAt) - 120 * 60_000,
    );
    expect(held.held_to.toISOString()).toBe(new Date(res.body.endsAt).toISOString());
    await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(agent.auth).expect(200);
  });

  it('never gives a late seat a check-in deadline past the shift end (grace 60, 40 left)', async () => {
    const shift = await startedShift(t, company, 60, 40, { checkInGraceMinutes: 60 });
    const agent = await registerAgent(t);
    const res = await claim(t, agent, shift.id).expect(201);
    // It was claim + 60 minutes: the no-show at the end came before the deadline shown.
    expect(res.body.checkInDeadline).toBe(new Date(res.body.endsAt).toISOString());
    const [timer] = await t.db.query(
      `SELECT run_at FROM outbox WHERE job_name = 'shift-claim.no-show-check' AND payload->>'claimId' = $1`,
      [res.body.id],
    );
    expect(new Date(timer.run_at).toISOString()).toBe(res.body.checkInDeadline);
  });

  it('gives a late seat of a shift stored with a 0 grace (older rows) the 2 minutes, not an instant no-show', async () => {
    const shift = await startedShift(t, company, 60, 60);
    await t.db.query('UPDATE shifts SET check_in_grace_minutes = 0 WHERE id = $1', [shift.id]);
    const agent = await registerAgent(t);
    const res = await claim(t, agent, shift.id).expect(201);
    expect(Date.parse(res.body.checkInDeadline) - Date.parse(res.body.claimedAt)).toBe(2 * 60_000);
    // Its no-show check finds it not due; the agent checks in.
    await expect(t.app.get(NoShowCheckHandler).handle({ claimId: res.body.id })).resolves.toEqual({
      noShow: false,
    });
    await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(agent.auth).expect(200);
  });

  it('closes claims 30 minutes before the end: 409 SHIFT_CLOSED saying when they closed', async () => {
    const shift = await startedShift(t, company, 60, 29);
    const agent = await registerAgent(t);
    const res = await claim(t, agent, shift.id).expect(409);
    expect(res.body.error.code).toBe('SHIFT_CLOSED');
    const [{ ends_at }] = await t.db.query('SELECT ends_at FROM shifts WHERE id = $1', [shift.id]);
    expect(Date.parse(res.body.error.details.claimsCloseAt)).toBe(ends_at.getTime() - 30 * 60_000);
    const open = await t.http.get('/v1/shifts/open?limit=100').set(agent.auth).expect(200);
    expect(open.body.items.map((s: { id: string }) => s.id)).not.toContain(shift.id);
  });

  it('says a full shift whose claims have closed is closed (SHIFT_CLOSED), not full', async () => {
    const shift = await startedShift(t, company, 60, 60, { seats: 1 });
    await claim(t, await registerAgent(t), shift.id).expect(201);
    const late = await registerAgent(t);
    expect((await claim(t, late, shift.id).expect(409)).body.error.code).toBe('SHIFT_FULL');
    await moveShift(t, shift.id, inMinutes(-60), inMinutes(29));
    const res = await claim(t, late, shift.id).expect(409);
    const [{ ends_at }] = await t.db.query('SELECT ends_at FROM shifts WHERE id = $1', [shift.id]);
    expect(res.body.error).toMatchObject({
      code: 'SHIFT_CLOSED',
      details: { claimsCloseAt: new Date(ends_at.getTime() - 30 * 60_000).toISOString() },
    });
  });

  it('sends an agent to claim, not to the waitlist, while claims are open; after, SHIFT_CLOSED', async () => {
    const agent = await registerAgent(t);
    const joinable = await startedShift(t, company, 60, 60);
    const open = await t.http
      .post(`/v1/shifts/${joinable.id}/waitlist`)
      .set(agent.auth)
      .expect(409);
    expect(open.body.error.code).toBe('SEATS_AVAILABLE');
    const closing = await startedShift(t, company, 60, 20);
    const closed = await t.http
      .post(`/v1/shifts/${closing.id}/waitlist`)
      .set(agent.auth)
      .expect(409);
    expect(closed.body.error).toMatchObject({
      code: 'SHIFT_CLOSED',
      details: { claimsCloseAt: expect.any(String) },
    });
    // Closed by the database's clock, which the seat's claim reads, though this API process's
    // runs a minute behind: not sent to claim a seat it would be refused.
    const justClosed = await startedShift(t, company, 60, 29.5);
    const clock = jest.spyOn(Date, 'now').mockReturnValue(Date.now() - 60_000);
    try {
      const behind = await t.http
        .post(`/v1/shifts/${justClosed.id}/waitlist`)
        .set(agent.auth)
        .expect(409);
      expect(behind.body.error.code).toBe('SHIFT_CLOSED');
    } finally {
      clock.mockRestore();
    }
  });

  it('keeps a full shift’s line open after its claims close, until a seat given could not be checked into; the agents in it see their place until then', async () => {
    // Grace 10: a seat given late is checked into within 10 minutes, so the line closes at the
    // end minus 10.
    const shift = await startedShift(t, company, 60, 60, { seats: 1, checkInGraceMinutes: 10 });
    await claim(t, await registerAgent(t), shift.id).expect(201);
    const early = await registerAgent(t);
    const join = (agent: SignedIn) =>
      t.http.post(`/v1/shifts/${shift.id}/waitlist`).set(agent.auth);
    const joined = await join(early).expect(201);
    const [{ ends_at }] = await t.db.query('SELECT ends_at FROM shifts WHERE id = $1', [shift.id]);
    const closesAt = new Date(ends_at.getTime() - 10 * 60_000).toISOString();
    expect(joined.body).toMatchObject({ position: 1, closesAt });
    const listed = async (agent: SignedIn) =>
      (
        await t.http.get('/v1/shifts/open?limit=100&includeFull=true').set(agent.auth).expect(200)
      ).body.items.find((s: { id: string }) => s.id === shift.id);

    // Claims closed (20 minutes left): still listed to those in line, with their place.
    await moveShift(t, shift.id, inMinutes(-100), inMinutes(20));
    const [{ ends_at: endsLater }] = await t.db.query('SELECT ends_at FROM shifts WHERE id = $1', [
      shift.id,
    ]);
    expect(await listed(early)).toMatchObject({
      waitlistPosition: 1,
      waitlistClosesAt: new Date(endsLater.getTime() - 10 * 60_000).toISOString(),
    });
    const stranger = await registerAgent(t);
    expect(await listed(stranger)).toBeUndefined();
    const second = await join(stranger).expect(201);
    expect(second.body.position).toBe(2);
    expect(await listed(stranger)).toMatchObject({ waitlistPosition: 2 });

    // 5 minutes left: a seat given now could not be checked into. No new place; those in line
    // no longer see it (nothing can come of their place).
    await moveShift(t, shift.id, inMinutes(-115), inMinutes(5));
    const late = await join(await registerAgent(t)).expect(409);
    expect(late.body.error).toMatchObject({
      code: 'SHIFT_CLOSED',
      details: { lineClosedAt: expect.any(String) },
    });
    expect(await listed(early)).toBeUndefined();
  });

  it("takes a seat still open by the database's clock though this API's runs a minute ahead", async () => {
    const closingSoon = await startedShift(t, company, 60, 30.5); // claims close in 30 s
    const clock = jest.spyOn(Date, 'now').mockReturnValue(Date.now() + 60_000);
    try {
      await claim(t, await registerAgent(t), closingSoon.id).expect(201);
    } finally {
      clock.mockRestore();
    }
  });

  it('keeps a short shift open until its start, even with less than 30 minutes in it', async () => {
    const shift = await postShift(t, company, {
      startsAt: inMinutes(10).toISOString(),
      endsAt: inMinutes(25).toISOString(),
    });
    await claim(t, await registerAgent(t), shift.id).expect(201);
  });

  it('counts only the hours that remain against the weekly cap (10 here)', async () => {
    const tomorrow = inMinutes(24 * 60);
    const nineHours = {
      startsAt: tomorrow.toISOString(),
      endsAt: new Date(tomorrow.getTime() + 9 * 3_600_000).toISOString(),
    };
    const agent = await registerAgent(t);
    await claim(t, agent, (await postShift(t, company, nineHours)).id).expect(201);
    // 4 hours long, 1 hour left: 9 + 1 = 10 fits (the whole shift would make 13).
    await claim(t, agent, (await startedShift(t, company, 180, 60)).id).expect(201);

    const other = await registerAgent(t);
    await claim(t, other, (await postShift(t, company, nineHours)).id).expect(201);
    const res = await claim(t, other, (await startedShift(t, company, 60, 90)).id).expect(409);
    expect(res.body.error.code).toBe('WEEKLY_HOURS_EXCEEDED');
    expect(res.body.error.details.weekHours).toBe(9);
    expect(res.body.error.details.shiftHours).toBeCloseTo(1.5, 2);
  });

  it('does not overlap a seat whose shift ended before the claim (its completion still pending)', async () => {
    const agent = await registerAgent(t);
    const earlier = await postShift(t, company);
    const held = await claim(t, agent, earlier.id).expect(201);
    await moveShift(t, earlier.id, inMinutes(-120), inMinutes(-1));
    await t.db.query(
      `UPDATE shift_claims SET status = 'checked_in', checked_in_at = now() WHERE id = $1`,
      [held.body.id],
    );
    // The started shift began while the earlier one ran; the new seat starts now, after it.
    await claim(t, agent, (await startedShift(t, company, 60, 120)).id).expect(201);
  });

  it('counts a cancellation of a seat taken after the start as late', async () => {
    const shift = await startedShift(t, company, 30, 90);
    const agent = await registerAgent(t);
    await claim(t, agent, shift.id).expect(201);
    const res = await t.http.delete(`/v1/shifts/${shift.id}/claims/me`).set(agent.auth).expect(200);
    expect(res.body).toMatchObject({ status: 'cancelled', lateCancellation: true });
    const [{ seats_taken }] = await t.db.query('SELECT seats_taken FROM shifts WHERE id = $1', [
      shift.id,
    ]);
    expect(seats_taken).toBe(0);
  });

  it('holds a seat given from the waitlist after the start from the moment it was given', async () => {
    const shift = await postShift(t, company, { seats: 1, languages: ['en'] });
    const holder = await registerAgent(t);
    const waiting = await registerAgent(t);
    await setProfile(t, holder, { languages: ['en'] });
    await setProfile(t, waiting, { languages: ['en'] });
    const first = await claim(t, holder, shift.id).expect(201);
    await t.http.post(`/v1/shifts/${shift.id}/waitlist`).set(waiting.auth).expect(201);
    await moveShift(t, shift.id, inMinutes(-15), inMinutes(105)); // the holder missed check-in
    await t.app.get(NoShowCheckHandler).handle({ claimId: first.body.id });
    const [given] = await t.db.query(
      `SELECT id FROM shift_claims WHERE shift_id = $1 AND agent_id = $2`,
      [shift.id, waiting.id],
    );
    const held = await seat(given.id);
    expect(held.held_from.toISOString()).toBe(held.claimed_at.toISOString());
  });

  it('gives a seat freed while direct claims are open to the line first, though less than the grace is left', async () => {
    // Grace 60, 45 minutes left: claims close in 15. The line was passed over once less than the
    // grace was left (the seat "could not be reached"), and a direct claim took the seat, though
    // a seat given now is reachable (its deadline is at most the end).
    const shift = await postShift(t, company, {
      seats: 1,
      languages: ['en'],
      checkInGraceMinutes: 60,
    });
    const [holder, waiting, latecomer] = [
      await registerAgent(t),
      await registerAgent(t),
      await registerAgent(t),
    ];
    for (const a of [holder, waiting, latecomer]) await setProfile(t, a, { languages: ['en'] });
    await claim(t, holder, shift.id).expect(201);
    await t.http.post(`/v1/shifts/${shift.id}/waitlist`).set(waiting.auth).expect(201);
    // Started 5 minutes ago (moveShift's deadlines: 10 after the start, so the holder may
    // still give the seat back), 45 left.
    await moveShift(t, shift.id, inMinutes(-5), inMinutes(45));
    await t.http.delete(`/v1/shifts/${shift.id}/claims/me`).set(holder.auth).expect(200);
    const [given] = await t.db.query(
      `SELECT source, status FROM shift_claims WHERE shift_id = $1 AND agent_id = $2`,
      [shift.id, waiting.id],
    );
    expect(given).toEqual({ source: 'waitlist', status: 'claimed' });
    const direct = await claim(t, latecomer, shift.id).expect(409);
    expect(direct.body.error.code).toBe('SHIFT_FULL');
  });

  it("tells whether the waitlist gave a seat late by the database's clock, though this API's runs ahead", async () => {
    // 121 minutes before the start by the database's clock (outside the 120-minute window:
    // giving it back later is a late cancellation), 119 by this API process's.
    const shift = await postShift(t, company, { seats: 1, languages: ['en'] });
    await moveShift(t, shift.id, inMinutes(121), inMinutes(241));
    const [holder, next] = [await registerAgent(t), await registerAgent(t)];
    for (const a of [holder, next]) await setProfile(t, a, { languages: ['en'] });
    await claim(t, holder, shift.id).expect(201);
    await t.http.post(`/v1/shifts/${shift.id}/waitlist`).set(next.auth).expect(201);
    await withApiClockOff(120_000, async () => {
      await t.http.delete(`/v1/shifts/${shift.id}/claims/me`).set(holder.auth).expect(200);
    });
    const [event] = await waitFor(async () => {
      const res = await t.http.get('/v1/events?types=shift.seat_given').set(next.auth).expect(200);
      const items = res.body.items as { data: Record<string, unknown> }[];
      return items.length > 0 && items;
    }, 'the shift.seat_given event');
    // As the seat's view says: giving it back becomes a late cancellation 120 minutes before
    // the start (for a seat given late, never: at its end).
    const [seat] = (await t.http.get('/v1/agents/me/claims').set(next.auth).expect(200)).body.items;
    expect(Date.parse(seat.lateCancelStartsAt)).toBe(Date.parse(seat.startsAt) - 120 * 60_000);
    expect(event.data.givenLate).toBe(false);
  });

  it('tells the agent a seat the waitlist gave late; giving it back is clean, and missing it is no mark', async () => {
    const shift = await postShift(t, company, { seats: 1, languages: ['en'] });
    const [holder, first, second] = [
      await registerAgent(t),
      await registerAgent(t),
      await registerAgent(t),
    ];
    for (const a of [holder, first, second]) await setProfile(t, a, { languages: ['en'] });
    const held = await claim(t, holder, shift.id).expect(201);
    for (const a of [first, second]) {
      await t.http.post(`/v1/shifts/${shift.id}/waitlist`).set(a.auth).expect(201);
    }
    await moveShift(t, shift.id, inMinutes(-15), inMinutes(105)); // the holder missed check-in
    const noShow = t.app.get(NoShowCheckHandler);
    await noShow.handle({ claimId: held.body.id });
    const seatOf = async (a: SignedIn) =>
      (await t.http.get('/v1/agents/me/claims').set(a.auth).expect(200)).body.items[0];
    // Events are numbered just after their commit: waited for.
    const given = (a: SignedIn) =>
      waitFor(async () => {
        const res = await t.http.get('/v1/events?types=shift.seat_given').set(a.auth).expect(200);
        const items = res.body.items as { data: Record<string, unknown> }[];
        return items.length > 0 && items;
      }, 'the shift.seat_given event');
    // Told at once, with the deadline; never a late cancellation (it was given inside the window).
    const mine = await seatOf(first);
    expect(mine).toMatchObject({
      source: 'waitlist',
      status: 'claimed',
      lateCancelStartsAt: mine.endsAt,
    });
    expect((await given(first)).map((e) => e.data)).toEqual([
      expect.objectContaining({
        shiftId: shift.id,
        claimId: mine.id,
        checkInDeadline: mine.checkInDeadline,
        givenLate: true,
      }),
    ]);
    const back = await t.http
      .delete(`/v1/shifts/${shift.id}/claims/me`)
      .set(first.auth)
      .expect(200);
    expect(back.body).toMatchObject({ status: 'cancelled', lateCancellation: false });
    // The next in line gets it, is told, and misses its check-in: a no-show, not counted.
    const next = await seatOf(second);
    expect(await given(second)).toHaveLength(1);
    await t.db.query(
      `UPDATE shift_claims SET check_in_deadline = now() - interval '1 second' WHERE id = $1`,
      [next.id],
    );
    await expect(noShow.handle({ claimId: next.id })).resolves.toEqual({ noShow: true });
    for (const a of [first, second]) {
      const r = await t.http.get('/v1/agents/me/reliability').set(a.auth).expect(200);
      expect(r.body).toMatchObject({ lateCancellations: 0, noShows: 0 });
    }
    // The holder's own miss counts.
    const own = await t.http.get('/v1/agents/me/reliability').set(holder.auth).expect(200);
    expect(own.body).toMatchObject({ noShows: 1 });
  });

  it('does not count leaving early a seat the waitlist gave late, as a no-show there would not be', async () => {
    const shift = await postShift(t, company, { seats: 1, languages: ['en'] });
    const [holder, waiting] = [await registerAgent(t), await registerAgent(t)];
    for (const a of [holder, waiting]) await setProfile(t, a, { languages: ['en'] });
    const held = await claim(t, holder, shift.id).expect(201);
    await t.http.post(`/v1/shifts/${shift.id}/waitlist`).set(waiting.auth).expect(201);
    await moveShift(t, shift.id, inMinutes(-15), inMinutes(105)); // the holder missed check-in
    await t.app.get(NoShowCheckHandler).handle({ claimId: held.body.id });
    // Given after the start: checked in, the agent can no longer cancel it; it leaves early.
    await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(waiting.auth).expect(200);
    const out = await t.http.post(`/v1/shifts/${shift.id}/check-out`).set(waiting.auth);
    expect(out.body.status).toBe('left_early');
    const record = await t.http.get('/v1/agents/me/reliability').set(waiting.auth).expect(200);
    expect(record.body).toMatchObject({ leftEarly: 0, raw: null });
  });
});

describe('SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END', () => {
  it('is validated: a whole number of minutes, 0 to 720', () => {
    expect(validateEnv({}).SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END).toBe(30);
    for (const bad of ['-1', '721', '1.5', 'soon']) {
      expect(() => validateEnv({ SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END: bad })).toThrow(
        /SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END/,
      );
    }
  });

  it('moves the cut-off (90 here)', async () => {
    const t = await createTestApp({ env: { SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END: '90' } });
    try {
      const company = await registerCompany(t);
      const closed = await startedShift(t, company, 30, 80);
      const res = await claim(t, await registerAgent(t), closed.id).expect(409);
      expect(res.body.error.code).toBe('SHIFT_CLOSED');
      await claim(t, await registerAgent(t), (await startedShift(t, company, 30, 100)).id).expect(
        201,
      );
    } finally {
      await t.close();
    }
  });
});
