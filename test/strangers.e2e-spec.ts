import { createApiKey, registerAgent, registerCompany, SignedIn } from './support/factories';
import { postShift } from './support/shifts';
import { createTestApp, TestApp } from './support/test-app';
import { waitForLockWaiters, withRowsHeld } from './support/row-locks';
import { escalate, liveAgents, resolvedTicket } from './support/tickets';
import { within } from './support/wait-for';

/**
 * Ids of what is not the caller's, on the routes whose other tests cover only their owners:
 * each answers 404 (or the precise 409 a holder would get) and changes nothing.
 */
describe('ids of what is not yours', () => {
  let t: TestApp;
  let acme: SignedIn;
  let acmeBot: string;
  let rival: SignedIn;
  let rivalBot: string;
  let worker: SignedIn;
  let colleague: SignedIn;
  let shiftId: string;

  beforeAll(async () => {
    t = await createTestApp();
    acme = await registerCompany(t, 'Acme');
    acmeBot = await createApiKey(t, acme);
    rival = await registerCompany(t, 'Rival');
    rivalBot = await createApiKey(t, rival);
    ({
      shiftId,
      agents: [worker, colleague],
    } = await liveAgents(t, acme.auth, 2));
  });
  afterAll(async () => {
    await t.close();
  });

  const ticketRow = async (id: string) =>
    (
      await t.db.query(
        'SELECT status, last_activity_at, updated_at, reopen_count FROM tickets WHERE id = $1',
        [id],
      )
    )[0] as Record<string, unknown>;

  it("another company cannot change the review of a company's ticket: 404, the review stays", async () => {
    const ticket = await resolvedTicket(t, acmeBot, worker);
    await t.http
      .post(`/v1/tickets/${ticket.id}/review`)
      .set(acme.auth)
      .send({ score: 5, tags: [] })
      .expect(201);
    const changed = await t.http
      .put(`/v1/tickets/${ticket.id}/review`)
      .set(rival.auth)
      .send({ score: 1, tags: [] });
    expect({ status: changed.status, code: changed.body.error?.code }).toEqual({
      status: 404,
      code: 'NOT_FOUND',
    });
    const [review] = await t.db.query('SELECT score FROM ticket_reviews WHERE ticket_id = $1', [
      ticket.id,
    ]);
    expect(review.score).toBe(5);
  });

  it("another company's bot cannot reopen a company's ticket, nor name another ticket's resolution", async () => {
    const ticket = await resolvedTicket(t, acmeBot, worker);
    const other = await resolvedTicket(t, acmeBot, worker);
    const before = await ticketRow(ticket.id);
    const reopen = (auth: Record<string, string>, body: Record<string, unknown>) =>
      t.http
        .post(`/v1/tickets/${ticket.id}/reopen`)
        .set(auth)
        .send({ reason: 'Still broken', ...body });
    const byRival = await reopen({ Authorization: `Bearer ${rivalBot}` }, {});
    expect({ status: byRival.status, code: byRival.body.error?.code }).toEqual({
      status: 404,
      code: 'NOT_FOUND',
    });
    // The company's own bot, naming the resolution of its other ticket: not this one's.
    const [otherClaim] = await t.db.query('SELECT id FROM ticket_claims WHERE ticket_id = $1', [
      other.id,
    ]);
    const wrongClaim = await reopen(
      { Authorization: `Bearer ${acmeBot}` },
      { claimId: otherClaim.id },
    );
    expect(wrongClaim.status).toBe(409);
    expect(await ticketRow(ticket.id)).toEqual(before);
  });

  it("an agent of the same company cannot keep a colleague's ticket alive: 403, no activity", async () => {
    const { id } = await escalate(t, acmeBot);
    await t.http.post(`/v1/tickets/${id}/claim`).set(worker.auth).expect(200);
    const before = await ticketRow(id);
    const beat = await t.http.post(`/v1/tickets/${id}/heartbeat`).set(colleague.auth);
    expect({ status: beat.status, code: beat.body.error?.code }).toEqual({
      status: 403,
      code: 'TICKET_NOT_CLAIMED_BY_YOU',
    });
    expect(await ticketRow(id)).toEqual(before);
  });

  it("naming a ticket one does not hold never waits behind the holder's lock, and is refused as before", async () => {
    const { id } = await escalate(t, acmeBot);
    await t.http.post(`/v1/tickets/${id}/claim`).set(worker.auth).expect(200);
    const {
      agents: [stranger],
    } = await liveAgents(t, rival.auth, 1); // at work for another company
    const before = await ticketRow(id);
    const call = (who: SignedIn, action: string, body: Record<string, unknown> = {}) =>
      t.http
        .post(`/v1/tickets/${id}/${action}`)
        .set(who.auth)
        .send(body)
        .then((r) => `${action} ${r.status} ${r.body.error?.code}`);
    // As the holder's own resolve or message would, for as long as it takes.
    const answers = await withRowsHeld(
      t,
      'SELECT 1 FROM tickets WHERE id = $1 FOR UPDATE',
      [id],
      () =>
        within(
          Promise.all([
            call(stranger, 'claim'),
            call(stranger, 'resolve', { resolutionSummary: 'Done' }),
            call(colleague, 'heartbeat'),
            call(colleague, 'release', { reason: 'Not mine' }),
            call(colleague, 'resolve', { resolutionSummary: 'Done' }),
            call(colleague, 'messages', { body: 'Hello', visibility: 'customer' }),
          ]),
          5_000,
          "refused while the holder's lock is held",
        ),
    );
    expect(answers).toEqual([
      'claim 404 NOT_FOUND',
      'resolve 404 NOT_FOUND',
      'heartbeat 403 TICKET_NOT_CLAIMED_BY_YOU',
      'release 403 TICKET_NOT_CLAIMED_BY_YOU',
      'resolve 403 TICKET_NOT_CLAIMED_BY_YOU',
      'messages 403 TICKET_NOT_CLAIMED_BY_YOU',
    ]);
    expect(await ticketRow(id)).toEqual(before);
  });

  it("another company's cancel of a shift never waits behind the shift's lock (nor takes it): 404", async () => {
    const answer = await withRowsHeld(
      t,
      'SELECT 1 FROM shifts WHERE id = $1 FOR UPDATE',
      [shiftId],
      () =>
        within(
          t.http
            .post(`/v1/shifts/${shiftId}/cancel`)
            .set(rival.auth)
            .send({ reason: 'Not ours' })
            .then((r) => `${r.status} ${r.body.error?.code}`),
          5_000,
          "refused while the owner's lock is held",
        ),
    );
    // It locked the shift before asking whose it was: a stranger looping it held up every
    // seat claim, check-in and ticket claim on the shift.
    expect(answer).toBe('404 NOT_FOUND');
    const [shift] = await t.db.query('SELECT status FROM shifts WHERE id = $1', [shiftId]);
    expect(shift.status).toBe('scheduled');
  });

  it("a resolve that found no claim of the agent's stays refused when the agent's claim commits meanwhile", async () => {
    const { id } = await escalate(t, acmeBot);
    const held = t.db.createQueryRunner();
    await held.connect();
    try {
      // resolve_ticket finds no claim of the colleague's at its lock, then waits at its
      // suspension check (agents) while the colleague's claim is written and committed.
      await held.startTransaction();
      await held.query('LOCK TABLE agents IN ACCESS EXCLUSIVE MODE');
      const answer = t.http
        .post(`/v1/tickets/${id}/resolve`)
        .set(colleague.auth)
        .send({ resolutionSummary: 'Done' })
        .then((r) => `${r.status} ${r.body.error?.code}`);
      await waitForLockWaiters(t, 1, 'the resolve to wait at its suspension check');
      await held.query(
        'SELECT * FROM write_ticket_claim($1, $2, $3, make_interval(mins => 30), NULL, NULL, NULL)',
        [id, colleague.id, shiftId],
      );
      await held.commitTransaction();
      // Refused, as it would have been a moment earlier: never resolved without the lock.
      expect(await answer).toBe('403 TICKET_NOT_CLAIMED_BY_YOU');
      expect(await ticketRow(id)).toMatchObject({ status: 'claimed' });
    } finally {
      if (held.isTransactionActive) await held.rollbackTransaction();
      await held.release();
    }
  });

  it('an agent without a seat cannot check out of a shift, nor leave a line it is not in', async () => {
    const outsider = await registerAgent(t);
    const seatsBefore = await t.db.query(
      'SELECT id, status FROM shift_claims WHERE shift_id = $1 ORDER BY id',
      [shiftId],
    );
    const out = await t.http.post(`/v1/shifts/${shiftId}/check-out`).set(outsider.auth);
    expect({ status: out.status, code: out.body.error?.code }).toEqual({
      status: 404,
      code: 'NOT_FOUND',
    });
    // Another company's shift, and one that does not exist.
    const theirs = await postShift(t, rival);
    for (const id of [shiftId, theirs.id, crypto.randomUUID()]) {
      const left = await t.http.delete(`/v1/shifts/${id}/waitlist`).set(outsider.auth);
      expect({ status: left.status, code: left.body.error?.code }).toEqual({
        status: 404,
        code: 'NOT_FOUND',
      });
    }
    expect(
      await t.db.query('SELECT id, status FROM shift_claims WHERE shift_id = $1 ORDER BY id', [
        shiftId,
      ]),
    ).toEqual(seatsBefore);
  });
});
