import { randomUUID } from 'node:crypto';
import { createApiKey, registerAgent, registerCompany, SignedIn } from './support/factories';
import { whileAgentHeld } from './support/row-locks';
import { inMinutes, moveShift, postShift, setProfile } from './support/shifts';
import { escalate } from './support/tickets';
import { PromoteWaitlistHandler } from '../src/modules/shifts/shift-timers.handlers';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/**
 * Revoking a certification ends the agent's seats on the company's shifts that require it: it
 * used to leave them held, by an agent matching then gave no ticket, a seat nobody could work
 * or refill.
 */
describe('revoking a certification', () => {
  let t: TestApp;
  let company: SignedIn;
  let other: SignedIn;
  beforeAll(async () => {
    t = await createTestApp();
    company = await registerCompany(t, 'Certifying Co');
    other = await registerCompany(t, 'Other Co');
  });
  afterAll(async () => {
    await t.close();
  });

  const hours = (fromMinutes: number, length: number) => ({
    startsAt: inMinutes(fromMinutes).toISOString(),
    endsAt: inMinutes(fromMinutes + length * 60).toISOString(),
  });
  const certify = (by: SignedIn, agent: SignedIn) =>
    t.http.put(`/v1/companies/me/certified-agents/${agent.id}`).set(by.auth).expect(200);
  const revoke = (agent: SignedIn) =>
    t.http.delete(`/v1/companies/me/certified-agents/${agent.id}`).set(company.auth);
  const claim = (agent: SignedIn, shiftId: string) =>
    t.http.post(`/v1/shifts/${shiftId}/claims`).set(agent.auth);
  const agentWithProfile = async () => {
    const agent = await registerAgent(t);
    await setProfile(t, agent, { languages: ['en'], skills: [{ skill: 'refunds', level: 3 }] });
    return agent;
  };
  const seatsOf = async (agentId: string) =>
    Object.fromEntries(
      (
        (await t.db.query(
          `SELECT shift_id, status, cancelled_by, late_cancellation, checked_out_at IS NOT NULL AS out
             FROM shift_claims WHERE agent_id = $1`,
          [agentId],
        )) as {
          shift_id: string;
          status: string;
          cancelled_by: string | null;
          late_cancellation: boolean;
          out: boolean;
        }[]
      ).map((r) => [r.shift_id, [r.status, r.cancelled_by, r.late_cancellation, r.out]]),
    );

  it("ends the agent's seats and waitlist places on the company's certified-only shifts, and nothing else", async () => {
    const agent = await agentWithProfile();
    await certify(company, agent);
    await certify(other, agent);
    const certified = { requiresCertification: true };
    // Worked now: checked in on a running certified-only shift, with a ticket in hand.
    const running = await postShift(t, company, { ...certified, ...hours(24 * 60, 4) });
    await claim(agent, running.id).expect(201);
    await moveShift(t, running.id, inMinutes(-5), inMinutes(120));
    await t.http.post(`/v1/shifts/${running.id}/check-in`).set(agent.auth).expect(200);
    const key = await createApiKey(t, company);
    const ticket = await escalate(t, key);
    await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);
    // Tomorrow: a one-seat certified-only shift held, with a certified agent waiting for it.
    const tomorrow = await postShift(t, company, { ...certified, seats: 1, ...hours(26 * 60, 2) });
    await claim(agent, tomorrow.id).expect(201);
    const waiting = await agentWithProfile();
    await certify(company, waiting);
    await t.http.post(`/v1/shifts/${tomorrow.id}/waitlist`).set(waiting.auth).expect(201);
    // Waiting in line on a full certified-only shift.
    const full = await postShift(t, company, { ...certified, seats: 1, ...hours(30 * 60, 2) });
    await claim(await certifiedAgent(), full.id).expect(201);
    await t.http.post(`/v1/shifts/${full.id}/waitlist`).set(agent.auth).expect(201);
    // Untouched: the company's open shift, and another company's certified-only shift.
    const open = await postShift(t, company, hours(34 * 60, 2));
    await claim(agent, open.id).expect(201);
    const elsewhere = await postShift(t, other, { ...certified, ...hours(38 * 60, 2) });
    await claim(agent, elsewhere.id).expect(201);

    await revoke(agent).expect(204);

    expect(await seatsOf(agent.id)).toEqual({
      // Worked since it began: ended as a check-out, now, with its seat free again (claims are
      // still open), marked as the company's doing.
      [running.id]: ['left_early', 'company', false, true],
      // Not yet worked: cancelled by the company, not late.
      [tomorrow.id]: ['cancelled', 'company', false, false],
      [open.id]: ['claimed', null, false, false],
      [elsewhere.id]: ['claimed', null, false, false],
    });
    // The agent's own seats say who ended them.
    const mine = await t.http.get('/v1/agents/me/claims?limit=20').set(agent.auth).expect(200);
    const endedBy = Object.fromEntries(
      (mine.body.items as { shiftId: string; endedBy: string | null }[]).map((c) => [
        c.shiftId,
        c.endedBy,
      ]),
    );
    expect(endedBy).toEqual({
      [running.id]: 'company',
      [tomorrow.id]: 'company',
      [open.id]: null,
      [elsewhere.id]: null,
    });
    const line: { shift_id: string }[] = await t.db.query(
      'SELECT shift_id FROM shift_waitlist WHERE agent_id = $1',
      [agent.id],
    );
    expect(line).toEqual([]);
    // The freed seat goes to the certified agent waiting for it, by a job written in the
    // revocation's transaction: a crash after the commit cannot lose the line's turn.
    const jobs: { payload: { shiftId: string } }[] = await t.db.query(
      `SELECT payload FROM outbox WHERE job_name = 'shift.promote-waitlist'`,
    );
    const promotions: Record<string, string[]> = {};
    for (const { payload } of jobs) {
      const { promoted } = await t.app.get(PromoteWaitlistHandler).handle(payload);
      promotions[payload.shiftId] = promoted;
    }
    // Both freed seats: the running shift's (left early while its claims are open) has no line.
    expect(promotions).toEqual({ [running.id]: [], [tomorrow.id]: [waiting.id] });
    const promoted = await t.http.get('/v1/agents/me/claims').set(waiting.auth).expect(200);
    expect(promoted.body.items).toMatchObject([{ shiftId: tomorrow.id, source: 'waitlist' }]);
    // The ticket in hand goes back after the shift-end grace, as at a check-out.
    const release: { payload: { shiftId: string; agentId: string } }[] = await t.db.query(
      `SELECT payload FROM outbox WHERE job_name = 'ticket.shift-end-release'
          AND payload->>'agentId' = $1`,
      [agent.id],
    );
    expect(release.map((r) => r.payload.shiftId)).toEqual([running.id]);
    // Told at once, naming the company: its seats and place in line went without a word before.
    // (An event is listed once it has its public id, just after its commit: EventSequencer.)
    const told = await waitFor(async () => {
      const res = await t.http
        .get('/v1/events?types=certification.revoked')
        .set(agent.auth)
        .expect(200);
      return res.body.items.length > 0 ? res : undefined;
    }, 'the certification.revoked event');
    expect(told.body.items).toMatchObject([
      {
        type: 'certification.revoked',
        data: { companyId: company.companyId, companyName: 'Certifying Co' },
      },
    ]);
    // The company's choice: nothing against the agent's reliability.
    const reliability = await t.http.get('/v1/agents/me/reliability').set(agent.auth).expect(200);
    expect(reliability.body).toMatchObject({ lateCancellations: 0, noShows: 0, leftEarly: 0 });
    const [{ seats_taken }] = await t.db.query('SELECT seats_taken FROM shifts WHERE id = $1', [
      running.id,
    ]);
    expect(seats_taken).toBe(0);
    // And the agent may not take such a seat again.
    const again = await postShift(t, company, { ...certified, ...hours(42 * 60, 2) });
    const refused = await claim(agent, again.id).expect(403);
    expect(refused.body.error.details.reasons).toEqual([
      { code: 'NOT_CERTIFIED', companyId: company.companyId },
    ]);
  });

  it('completes a worked seat once the shift’s claims have closed (nobody could take it)', async () => {
    const agent = await certifiedAgent();
    const shift = await postShift(t, company, { requiresCertification: true });
    await claim(agent, shift.id).expect(201);
    await moveShift(t, shift.id, inMinutes(-5), inMinutes(20));
    await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(agent.auth).expect(200);
    // Most of its four hours behind it: past the close of claims and past half of it.
    await moveShift(t, shift.id, inMinutes(-220), inMinutes(20));
    await revoke(agent).expect(204);
    expect(await seatsOf(agent.id)).toEqual({ [shift.id]: ['completed', 'company', false, true] });
  });

  it('ends a worked seat on a short shift as leaving early before half of it, as a check-out would', async () => {
    // 30 minutes: claims close at its start, but a check-out 5 minutes in is leaving early.
    const agent = await certifiedAgent();
    const shift = await postShift(t, company, { requiresCertification: true });
    await claim(agent, shift.id).expect(201);
    await moveShift(t, shift.id, inMinutes(-5), inMinutes(25));
    await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(agent.auth).expect(200);
    await revoke(agent).expect(204);
    expect(await seatsOf(agent.id)).toEqual({ [shift.id]: ['left_early', 'company', false, true] });
  });

  it('lets an agent certified again take a seat again on the shift whose seat the revocation ended, each seat earning its own', async () => {
    const agent = await certifiedAgent();
    const shift = await postShift(t, company, {
      requiresCertification: true,
      ...hours(24 * 60, 4),
    });
    await claim(agent, shift.id).expect(201);
    await moveShift(t, shift.id, inMinutes(-5), inMinutes(235));
    await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(agent.auth).expect(200);
    const key = await createApiKey(t, company);
    const resolveOne = async () => {
      const ticket = await escalate(t, key);
      await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);
      await t.http
        .post(`/v1/tickets/${ticket.id}/resolve`)
        .set(agent.auth)
        .send({ resolutionSummary: 'Refunded.' })
        .expect(200);
    };
    await resolveOne();
    await revoke(agent).expect(204);
    await certify(company, agent);
    // The seat the company ended is not the agent's one seat on the shift: it is listed again
    // and taken again (it was refused as already claimed).
    const open = await t.http.get('/v1/shifts/open?limit=100').set(agent.auth).expect(200);
    expect(open.body.items.map((s: { id: string }) => s.id)).toContain(shift.id);
    await claim(agent, shift.id).expect(201);
    await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(agent.auth).expect(200);
    await resolveOne();
    await resolveOne();
    const seats: { status: string; cancelled_by: string | null }[] = await t.db.query(
      `SELECT status, cancelled_by FROM shift_claims WHERE agent_id = $1 ORDER BY claimed_at`,
      [agent.id],
    );
    expect(seats).toEqual([
      { status: 'left_early', cancelled_by: 'company' },
      { status: 'checked_in', cancelled_by: null },
    ]);
    // Its own check-out is still its one seat: no second one after it. The answer, about that
    // seat alone, shows that seat's pay alone (asked alone, it took the first seat's too).
    const out = await t.http.post(`/v1/shifts/${shift.id}/check-out`).set(agent.auth).expect(200);
    expect(out.body.earned.amountMinor).toBe(500);
    expect((await claim(agent, shift.id).expect(409)).body.error.code).toBe('ALREADY_CLAIMED');
    // Each seat shows what was earned on it, not the shift's whole (both showed 3 tickets' pay).
    const mine = await t.http.get('/v1/agents/me/claims?limit=20').set(agent.auth).expect(200);
    expect(
      (mine.body.items as { status: string; earned: { amountMinor: number } }[])
        .map((c) => [c.status, c.earned.amountMinor])
        .sort(),
    ).toEqual([
      ['left_early', 250],
      ['left_early', 500],
    ]);
    // Pages of one seat each say the same of it.
    const paged: [string, number][] = [];
    for (let cursor = ''; ;) {
      const page = await t.http
        .get(`/v1/agents/me/claims?limit=1${cursor && `&cursor=${cursor}`}`)
        .set(agent.auth)
        .expect(200);
      for (const c of page.body.items) paged.push([c.checkedInAt, c.earned.amountMinor]);
      if (!page.body.nextCursor) break;
      cursor = page.body.nextCursor as string;
    }
    expect(paged.sort().map(([, earned]) => earned)).toEqual([250, 500]);
  });

  /**
   * A certified-only shift `fromHours` ahead, full (`seats`), with a certified agent waiting in
   * line, whose holders' certifications were just revoked: every seat free, the line's jobs not
   * yet run.
   */
  const freedWithALine = async (fromHours: number, seats = 1) => {
    const holders = await Promise.all(Array.from({ length: seats }, () => certifiedAgent()));
    const shift = await postShift(t, company, {
      requiresCertification: true,
      seats,
      ...hours(fromHours * 60, 2),
    });
    for (const holder of holders) await claim(holder, shift.id).expect(201);
    const waiting = await certifiedAgent();
    await t.http.post(`/v1/shifts/${shift.id}/waitlist`).set(waiting.auth).expect(201);
    for (const holder of holders) await revoke(holder).expect(204);
    return { shift, waiting };
  };

  it('gives a seat the revocation freed to the line, not to a direct claim made before its job ran', async () => {
    const { shift, waiting } = await freedWithALine(27);
    // The seat is free, the line's job not yet run: a direct claim finds the line served first.
    const direct = await certifiedAgent();
    expect((await claim(direct, shift.id).expect(409)).body.error.code).toBe('SHIFT_FULL');
    const mine = await t.http.get('/v1/agents/me/claims').set(waiting.auth).expect(200);
    expect(mine.body.items).toMatchObject([{ shiftId: shift.id, source: 'waitlist' }]);
    // The claim's transaction gave it, committed before the refusal: the job then finds the
    // seat taken.
    const [job] = await t.db.query(
      `SELECT payload FROM outbox WHERE job_name = 'shift.promote-waitlist'
          AND payload->>'shiftId' = $1`,
      [shift.id],
    );
    await t.app.get(PromoteWaitlistHandler).handle(job.payload);
    const seats = await t.db.query(
      `SELECT agent_id, status FROM shift_claims WHERE shift_id = $1 AND status = 'claimed'`,
      [shift.id],
    );
    expect(seats).toEqual([{ agent_id: waiting.id, status: 'claimed' }]);
  });

  it('lets the first in line claim the freed seat directly, as its own choice (not a waitlist seat)', async () => {
    const { shift, waiting: first } = await freedWithALine(28);
    const mine = (await claim(first, shift.id).expect(201)).body;
    expect(mine).toMatchObject({ shiftId: shift.id, source: 'direct' });
    const line = await t.db.query('SELECT 1 FROM shift_waitlist WHERE shift_id = $1', [shift.id]);
    expect(line).toEqual([]);
  });

  it("keeps the line's seats given when the direct claim is then refused for the claimant's own overlap", async () => {
    const { shift, waiting } = await freedWithALine(27, 2);
    // Two seats free, one agent in line: the line is served, a seat is left, and the claimant,
    // holding a seat that overlaps, is refused; the seat given stays given (the refusal undid
    // it, with the claim's transaction).
    const direct = await certifiedAgent();
    const overlapping = await postShift(t, company, hours(27 * 60 + 30, 1));
    await claim(direct, overlapping.id).expect(201);
    expect((await claim(direct, shift.id).expect(409)).body.error.code).toBe('SHIFT_OVERLAP');
    const mine = await t.http.get('/v1/agents/me/claims').set(waiting.auth).expect(200);
    expect(mine.body.items).toMatchObject([{ shiftId: shift.id, source: 'waitlist' }]);
  });

  it('leaves a seat whose check-in deadline passed to the no-show job', async () => {
    const agent = await certifiedAgent();
    const missed = await postShift(t, company, { requiresCertification: true });
    await claim(agent, missed.id).expect(201);
    await moveShift(t, missed.id, inMinutes(-20), inMinutes(100));
    await revoke(agent).expect(204);
    expect(await seatsOf(agent.id)).toEqual({ [missed.id]: ['claimed', null, false, false] });
  });

  it('refuses a seat claim that read the certification before a revocation committed', async () => {
    const agent = await certifiedAgent();
    const shift = await postShift(t, company, { requiresCertification: true });
    // The claim reads the certification, takes the seat, then waits for the agent's row; the
    // revocation commits meanwhile.
    const res = await whileAgentHeld(
      t,
      agent.id,
      () => claim(agent, shift.id),
      'the claim waiting for the agent',
      (held) =>
        held.query('DELETE FROM certifications WHERE company_id = $1 AND agent_id = $2', [
          company.companyId,
          agent.id,
        ]),
    );
    expect(res.status).toBe(403);
    expect(res.body.error.details.reasons).toEqual([
      { code: 'NOT_CERTIFIED', companyId: company.companyId },
    ]);
    expect(await seatsOf(agent.id)).toEqual({});
    const [{ seats_taken }] = await t.db.query('SELECT seats_taken FROM shifts WHERE id = $1', [
      shift.id,
    ]);
    expect(seats_taken).toBe(0);
  });

  // A join read the certification without the agent's lock: a revocation committed meanwhile
  // removed the waitlist places it could see, not the one being made, and an uncertified agent
  // stayed in line (and was seated if certified again).
  it('refuses a waitlist join that read the shift before a revocation committed', async () => {
    const agent = await certifiedAgent();
    const full = await postShift(t, company, { requiresCertification: true, seats: 1 });
    await claim(await certifiedAgent(), full.id).expect(201);
    const res = await whileAgentHeld(
      t,
      agent.id,
      () => t.http.post(`/v1/shifts/${full.id}/waitlist`).set(agent.auth),
      'the join waiting for the agent',
      (held) =>
        held.query('DELETE FROM certifications WHERE company_id = $1 AND agent_id = $2', [
          company.companyId,
          agent.id,
        ]),
    );
    expect(res.status).toBe(403);
    expect(res.body.error.details.reasons).toContainEqual({
      code: 'NOT_CERTIFIED',
      companyId: company.companyId,
    });
    const places = await t.db.query('SELECT 1 FROM shift_waitlist WHERE agent_id = $1', [agent.id]);
    expect(places).toEqual([]);
  });

  it('never leaves a seat behind when claims and the revocation race', async () => {
    const shifts = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        postShift(t, company, { requiresCertification: true, ...hours(50 * 60 + i * 180, 2) }),
      ),
    );
    for (let round = 0; round < 5; round++) {
      const agent = await certifiedAgent();
      const answers = await Promise.all([...shifts.map((s) => claim(agent, s.id)), revoke(agent)]);
      expect(answers.at(-1)!.status).toBe(204);
      const held: unknown[] = await t.db.query(
        `SELECT 1 FROM shift_claims WHERE agent_id = $1 AND status IN ('claimed', 'checked_in')`,
        [agent.id],
      );
      expect(held).toEqual([]);
    }
    // Every seat freed again: taken counts match the seats held.
    const counts: { seats_taken: number; held: number }[] = await t.db.query(
      `SELECT s.seats_taken, (SELECT count(*)::int FROM shift_claims c WHERE c.shift_id = s.id
                                AND c.status IN ('claimed', 'checked_in')) AS held
         FROM shifts s WHERE s.id = ANY($1)`,
      [shifts.map((s) => s.id)],
    );
    for (const c of counts) expect(c.seats_taken).toBe(c.held);
  });

  it('answers 404 for an agent the company never certified, changing nothing', async () => {
    const agent = await agentWithProfile();
    const res = await revoke(agent).expect(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    await t.http
      .delete(`/v1/companies/me/certified-agents/${randomUUID()}`)
      .set(company.auth)
      .expect(404);
  });

  it('answers a certification retried with its Idempotency-Key as the first, never undoing a revocation made meanwhile', async () => {
    const agent = await agentWithProfile();
    const again = () =>
      t.http
        .put(`/v1/companies/me/certified-agents/${agent.id}`)
        .set(company.auth)
        .set('Idempotency-Key', `certify-${agent.id}`);
    const first = await again().expect(200);
    await revoke(agent).expect(204);
    expect((await again().expect(200)).body).toEqual(first.body);
    const listed = await t.http
      .get('/v1/companies/me/certified-agents')
      .set(company.auth)
      .expect(200);
    expect(listed.body.items.map((a: { agentId: string }) => a.agentId)).not.toContain(agent.id);
  });

  async function certifiedAgent(): Promise<SignedIn> {
    const agent = await agentWithProfile();
    await certify(company, agent);
    return agent;
  }
});
