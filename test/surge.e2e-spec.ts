import { TicketEvent } from '../src/modules/jobs/job-registry';
import { ConfigService } from '@nestjs/config';
import { feeFor, TicketLedgerHandler } from '../src/modules/ledger/earnings-posting.handlers';
import { LedgerService } from '../src/modules/ledger/ledger.service';
import { OfferExpireHandler } from '../src/modules/tickets/offer-jobs.handlers';
import { OfferRouter } from '../src/modules/tickets/offer-router.service';
import { createApiKey, registerCompany, type SignedIn } from './support/factories';
import { createTestApp, type TestApp } from './support/test-app';
import { shiftBody, endShiftsOf, inMinutes, moveShift } from './support/shifts';
import { ShiftEndReleaseHandler } from '../src/modules/tickets/ticket-timers.handlers';
import { escalate, liveAgents } from './support/tickets';
import { waitFor } from './support/wait-for';
import { acceptPastExpiry, waitForLockWaiters, withRowsHeld } from './support/row-locks';

/**
 * Surge pay (issue 19): while a company's open tickets per agent checked in on a surge shift
 * pass the threshold, a new claim pays the rate × a multiplier rising linearly from 1 at the
 * threshold to the maximum at twice it. The extra is fixed at the claim (at the offer on a push
 * shift), shown on the queue and the offer, booked through the ledger once, and never beyond
 * the shift's budget, however many claims race for it.
 */
describe('surge pay', () => {
  let t: TestApp;
  let company: SignedIn;
  let key: string;

  beforeAll(async () => {
    t = await createTestApp();
  });
  beforeEach(async () => {
    company = await registerCompany(t, 'Surging Co');
    key = await createApiKey(t, company);
  });
  afterEach(() => endShiftsOf(t, company.companyId));
  afterAll(async () => {
    await t.close();
  });

  const EUR = (amountMinor: number) => ({ amountMinor, currency: 'EUR' });
  const rate = (amountMinor: number) => ({ ratePerTicket: EUR(amountMinor) });
  const surge = (budgetMinor: number) => ({
    surge: { maxMultiplierBps: 15_000, openTicketsPerAgent: 2, budgetMinor },
  });
  const escalateN = async (n: number) => {
    const out: { id: string }[] = [];
    for (let i = 0; i < n; i++) out.push(await escalate(t, key));
    return out;
  };
  const queue = async (agent: SignedIn) =>
    (await t.http.get('/v1/agents/me/queue').set(agent.auth).expect(200)).body.items as {
      id: string;
      pay: unknown;
      surge: unknown;
    }[];
  const claimsOf = (shiftId: string): Promise<{ surge_extra_minor: string; status: string }[]> =>
    t.db.query(`SELECT surge_extra_minor, status FROM ticket_claims WHERE shift_id = $1`, [
      shiftId,
    ]);

  /**
   * One agent on a surge shift (rate 200, budget 1000, past 2 open tickets per agent) with
   * three open tickets: a claim now is fixed at 1.25 ×, +50. The first ticket escalated.
   */
  const oneAgentThreeTickets = async () => {
    const {
      shiftId,
      agents: [agent],
    } = await liveAgents(
      t,
      company.auth,
      1,
      { maxConcurrentTickets: 5 },
      {
        ...rate(200),
        ...surge(1000),
      },
    );
    const first = await escalate(t, key);
    await escalateN(2);
    return { shiftId, agent, first };
  };

  /** The ledger jobs the outbox holds for a ticket. */
  const ledgerJobs = (
    ticketId: string,
  ): Promise<{ payload: { type: 'ticket.resolved' | 'ticket.withdrawn'; event: TicketEvent } }[]> =>
    t.db.query(
      `SELECT payload FROM outbox WHERE job_name = 'ledger.ticket-event'
          AND payload->'event'->>'ticketId' = $1`,
      [ticketId],
    );
  /** Booked as pay: pending to the agent, billed to the company with the platform's fee. */
  const expectBooked = async (agent: SignedIn, amountMinor: number) => {
    const earnings = await t.http.get('/v1/agents/me/earnings').set(agent.auth).expect(200);
    expect(earnings.body.balances).toEqual([
      { currency: 'EUR', pending: amountMinor, available: 0, paid: 0 },
    ]);
    const fee = feeFor(
      amountMinor,
      t.app.get(ConfigService).getOrThrow<number>('PLATFORM_FEE_BPS'),
    );
    expect(await t.app.get(LedgerService).balances(t.db.manager, company.companyId!)).toEqual([
      { account: 'company_receivable', currency: 'EUR', balance: amountMinor + fee },
    ]);
  };

  it('shows the multiplier on the queue, fixes it at the claim, and books that pay once', async () => {
    // Three open tickets for one agent: one past the threshold of two, half way to twice it.
    const { shiftId, agent, first } = await oneAgentThreeTickets();
    const offered = await queue(agent);
    expect(offered[0].pay).toEqual(EUR(250));
    expect(offered[0].surge).toEqual({ multiplierBps: 12_500, extraMinor: 50 });

    const claimed = await t.http
      .post('/v1/agents/me/tickets/claim-next')
      .set(agent.auth)
      .expect(200);
    expect(claimed.body.id).toBe(first.id);
    expect(claimed.body.pay).toEqual(EUR(250));
    expect(claimed.body.surge).toEqual({ multiplierBps: 12_500, extraMinor: 50 });

    // Two open for one agent: at the threshold, not past it.
    expect((await queue(agent))[0]).toMatchObject({ pay: EUR(200), surge: null });

    // Four open: twice the threshold, the maximum; by id this time.
    const more = await escalateN(2);
    const byId = await t.http.post(`/v1/tickets/${more[1].id}/claim`).set(agent.auth).expect(200);
    expect(byId.body).toMatchObject({
      pay: EUR(300),
      surge: { multiplierBps: 15_000, extraMinor: 100 },
    });

    // Five open now (the multiplier a claim would get is the maximum): the first claim still
    // pays what it was claimed at, and a retried resolve writes nothing more.
    await escalateN(2);
    expect((await queue(agent))[0].surge).toEqual({ multiplierBps: 15_000, extraMinor: 100 });
    for (let i = 0; i < 2; i++) {
      await t.http
        .post(`/v1/tickets/${first.id}/resolve`)
        .set(agent.auth)
        .send({ resolutionSummary: 'Refunded' })
        .expect(200);
    }
    const mine = await t.http.get(`/v1/agents/me/tickets/${first.id}`).set(agent.auth).expect(200);
    expect(mine.body.pay).toEqual(EUR(250));
    expect(mine.body.claims[0]).toMatchObject({
      pay: EUR(250),
      surge: { multiplierBps: 12_500, extraMinor: 50 },
    });

    // The ledger books the claim's pay once, however often its job runs.
    const jobs = await ledgerJobs(first.id);
    expect(jobs).toHaveLength(1);
    for (let i = 0; i < 3; i++) await t.app.get(TicketLedgerHandler).handle(jobs[0].payload);
    const [{ n }] = await t.db.query(
      `SELECT count(*)::int AS n FROM journal_entries WHERE kind = 'earning' AND ticket_id = $1`,
      [first.id],
    );
    expect(n).toBe(1);
    // Billed to the company like any pay: the pay and the platform's fee on it.
    await expectBooked(agent, 250);

    // The company sees its surge and what of its budget is committed (50 paid, 100 held).
    const detail = await t.http.get(`/v1/shifts/${shiftId}`).set(company.auth).expect(200);
    expect(detail.body.surge).toEqual({
      maxMultiplierBps: 15_000,
      openTicketsPerAgent: 2,
      budgetMinor: 1000,
    });
    expect(detail.body.surgeCommittedMinor).toBe(150);
  });

  it('a rate cannot change currency while surge extras are committed in the old one, held or not', async () => {
    const { shiftId, agent, first } = await oneAgentThreeTickets();
    await t.http.post(`/v1/tickets/${first.id}/claim`).set(agent.auth).expect(200);
    await t.http
      .post(`/v1/tickets/${first.id}/resolve`)
      .set(agent.auth)
      .send({ resolutionSummary: 'done' })
      .expect(200);
    // Left early: no seat taken, no ticket held; the resolved claim's extra stays committed.
    const out = await t.http.post(`/v1/shifts/${shiftId}/check-out`).set(agent.auth).expect(200);
    expect(out.body.status).toBe('left_early');
    const refused = await t.http
      .patch(`/v1/shifts/${shiftId}`)
      .set(company.auth)
      .send({ ratePerTicket: { amountMinor: 300, currency: 'USD' } })
      .expect(409);
    expect(refused.body.error).toMatchObject({
      code: 'SURGE_BUDGET_COMMITTED',
      details: { committedMinor: 50 },
    });
    // In its own currency the rate may still change.
    await t.http
      .patch(`/v1/shifts/${shiftId}`)
      .set(company.auth)
      .send({ ratePerTicket: { amountMinor: 300, currency: 'EUR' } })
      .expect(200);
  });

  it('a paid withdrawal pays the extra fixed at the claim, and the ledger books it', async () => {
    const { shiftId, agent, first } = await oneAgentThreeTickets();
    const claimed = await t.http
      .post('/v1/agents/me/tickets/claim-next')
      .set(agent.auth)
      .expect(200);
    expect(claimed.body).toMatchObject({ id: first.id, pay: EUR(250) });
    await t.http
      .post(`/v1/tickets/${first.id}/messages`)
      .set(agent.auth)
      .send({ body: 'Looking into it now', visibility: 'customer' })
      .expect(201);
    // The customer left; the agent had worked on it, so the claim is paid what it was claimed at.
    await t.http
      .post(`/v1/escalations/${first.externalId as string}/withdraw`)
      .set('Authorization', `Bearer ${key}`)
      .send({ reason: 'Customer left' })
      .expect(200);

    const jobs = await ledgerJobs(first.id);
    expect(jobs).toHaveLength(1);
    expect(jobs[0].payload.event.data).toMatchObject({ paid: true, pay: EUR(250) });
    await t.app.get(TicketLedgerHandler).handle(jobs[0].payload);
    await expectBooked(agent, 250);
    // What the budget counts as committed is what was paid.
    const detail = await t.http.get(`/v1/shifts/${shiftId}`).set(company.auth).expect(200);
    expect(detail.body.surgeCommittedMinor).toBe(50);
  });

  it("a claim carried to the agent's next shift keeps its extra on the budget that reserved it", async () => {
    const { shiftId: first, agent, first: held } = await oneAgentThreeTickets();
    await t.http.post(`/v1/tickets/${held.id}/claim`).set(agent.auth).expect(200);
    // The agent checks out and is live on the company's next shift, a surge shift too: the
    // ticket moves with them (ticket-timers.e2e), and so must nothing of either budget.
    await t.http.post(`/v1/shifts/${first}/check-out`).set(agent.auth).expect(200);
    const next = await t.http
      .post('/v1/shifts')
      .set(company.auth)
      .send(
        shiftBody({
          startsAt: inMinutes(300).toISOString(),
          endsAt: inMinutes(400).toISOString(),
          ...rate(300),
          ...surge(1000),
        }),
      )
      .expect(201);
    await t.http.post(`/v1/shifts/${next.body.id}/claims`).set(agent.auth).expect(201);
    await moveShift(t, first, inMinutes(-300), inMinutes(-10));
    await moveShift(t, next.body.id, inMinutes(-5), inMinutes(100));
    await t.http.post(`/v1/shifts/${next.body.id}/check-in`).set(agent.auth).expect(200);
    const dueAt = new Date(Date.now() - 1000).toISOString();
    expect(
      await t.app.get(ShiftEndReleaseHandler).handle({ shiftId: first, agentId: agent.id, dueAt }),
    ).toEqual({ released: 0, carried: 1 });
    const committed = async (shiftId: string) =>
      (await t.http.get(`/v1/shifts/${shiftId}`).set(company.auth).expect(200)).body
        .surgeCommittedMinor as number;
    expect([await committed(first), await committed(next.body.id)]).toEqual([50, 0]);

    // Resolved under the next shift: its rate, and the extra fixed at the claim.
    const resolved = await t.http
      .post(`/v1/tickets/${held.id}/resolve`)
      .set(agent.auth)
      .send({ resolutionSummary: 'Refunded' })
      .expect(200);
    expect(resolved.body.claims[0].pay).toEqual(EUR(350));
    expect([await committed(first), await committed(next.body.id)]).toEqual([50, 0]);
  });

  it('never commits beyond the budget, however many agents claim at once; a release frees its part', async () => {
    // Ten agents, sixty open tickets: six per agent, past twice the threshold, so 1.5 × 200.
    const { shiftId, agents } = await liveAgents(
      t,
      company.auth,
      10,
      {},
      {
        ...rate(200),
        ...surge(330),
      },
    );
    await escalateN(60);
    const results = await Promise.all(
      agents.map((a) => t.http.post('/v1/agents/me/tickets/claim-next').set(a.auth)),
    );
    expect(results.map((r) => r.status)).toEqual(agents.map(() => 200));
    const extras = results.map((r) => (r.body.surge?.extraMinor as number | undefined) ?? 0);
    // 100, 100, 100, then what is left (30), then nothing: 330 exactly.
    expect([...extras].sort((a, b) => b - a)).toEqual([100, 100, 100, 30, 0, 0, 0, 0, 0, 0]);
    for (const r of results) {
      const extra = (r.body.surge?.extraMinor as number | undefined) ?? 0;
      expect(r.body.pay).toEqual(EUR(200 + extra));
    }
    const rows = await claimsOf(shiftId);
    expect(rows.reduce((sum, r) => sum + Number(r.surge_extra_minor), 0)).toBe(330);

    // A 100 claim given back: its extra is no longer committed, so the next claim may have it.
    const holder = results.findIndex((r) => r.body.surge?.extraMinor === 100);
    await t.http
      .post(`/v1/tickets/${results[holder].body.id}/release`)
      .set(agents[holder].auth)
      .send({ reason: 'Needs a specialist' })
      .expect(200);
    const again = await t.http
      .post('/v1/agents/me/tickets/claim-next')
      .set(agents[holder].auth)
      .expect(200);
    expect(again.body.surge).toEqual({ multiplierBps: 15_000, extraMinor: 100 });

    // The budget cannot go below what is committed; stopping surge keeps what claims have.
    const below = await t.http
      .patch(`/v1/shifts/${shiftId}`)
      .set(company.auth)
      .send({ surge: { maxMultiplierBps: 15_000, openTicketsPerAgent: 2, budgetMinor: 329 } })
      .expect(409);
    expect(below.body.error).toMatchObject({
      code: 'SURGE_BUDGET_COMMITTED',
      details: { committedMinor: 330 },
    });
    await t.http.patch(`/v1/shifts/${shiftId}`).set(company.auth).send({ surge: null }).expect(200);
    const after = await t.http
      .post('/v1/agents/me/tickets/claim-next')
      .set(agents[0].auth)
      .expect(200);
    expect(after.body.surge).toBeNull();
    expect(after.body.pay).toEqual(EUR(200));
    const detail = await t.http.get(`/v1/shifts/${shiftId}`).set(company.auth).expect(200);
    expect(detail.body).toMatchObject({ surge: null, surgeCommittedMinor: null });
  });

  it('a claim that waited behind a lowered budget quotes from the new budget, never past it', async () => {
    const { shiftId, agent } = await oneAgentThreeTickets(); // +50 of a 1000 budget, as it stood
    // The company lowers the budget to 10 while a claim comes in: the change holds the shift's
    // surge lock (as the PATCH does) when the claim asks for it.
    const res = await withRowsHeld(t, 'SELECT surge_lock($1)', [shiftId], async (held) => {
      await held.query('UPDATE shifts SET surge_budget_minor = 10 WHERE id = $1', [shiftId]);
      const claim = t.http.post('/v1/agents/me/tickets/claim-next').set(agent.auth).then();
      await waitForLockWaiters(t, 1, 'the claim to wait on the surge lock');
      await held.commitTransaction();
      return claim;
    });
    expect(res.status).toBe(200);
    // Capped by the budget: the multiplier is what the extra makes of the rate of 200.
    expect(res.body.surge).toEqual({ multiplierBps: 10_500, extraMinor: 10 });
    const rows = await claimsOf(shiftId);
    expect(rows.reduce((sum, r) => sum + Number(r.surge_extra_minor), 0)).toBe(10);
  });

  it('a change of surge waits for the shift before the surge lock: no deadlock with a check-out and a claim', async () => {
    const { shiftId, agent } = await oneAgentThreeTickets();
    // A check-out holds the shift's row and then wants the agent's; a claim (or an offer)
    // holds the agent's row and then wants the shift's surge lock. Each stands in here.
    const claim = t.db.createQueryRunner();
    const checkOut = t.db.createQueryRunner();
    await Promise.all([claim.connect(), checkOut.connect()]);
    try {
      await claim.startTransaction();
      await claim.query('SELECT 1 FROM agents WHERE user_id = $1 FOR NO KEY UPDATE', [agent.id]);
      await checkOut.startTransaction();
      await checkOut.query('SELECT 1 FROM shifts WHERE id = $1 FOR NO KEY UPDATE', [shiftId]);
      const change = t.http
        .patch(`/v1/shifts/${shiftId}`)
        .set(company.auth)
        .send({ surge: { maxMultiplierBps: 15_000, openTicketsPerAgent: 2, budgetMinor: 2000 } })
        .then();
      await waitForLockWaiters(t, 1, 'the change to wait on the shift');
      // Each ends its transaction once its statement has an answer, whatever it is.
      const settle = (q: typeof claim, sql: string, params: unknown[]) =>
        q.query(sql, params).then(
          async () => (await q.commitTransaction(), 'ok'),
          async (e: { code?: string }) => (await q.rollbackTransaction(), e.code),
        );
      const outcomes = await Promise.all([
        settle(claim, 'SELECT surge_lock($1)', [shiftId]),
        settle(checkOut, 'SELECT 1 FROM agents WHERE user_id = $1 FOR NO KEY UPDATE', [agent.id]),
      ]);
      expect(outcomes).toEqual(['ok', 'ok']); // a deadlock aborts one of the three (40P01)
      expect((await change).status).toBe(200);
    } finally {
      await Promise.all([claim.release(), checkOut.release()]);
    }
  });

  it('an offer shows its surge and its accept claims at it, the budget counting pending offers', async () => {
    const {
      shiftId,
      agents: [agent],
    } = await liveAgents(
      t,
      company.auth,
      1,
      { maxConcurrentTickets: 2 },
      {
        ...rate(200),
        ...surge(150),
        routing: 'push',
      },
    );
    await escalateN(4); // four for one agent: the maximum, 1.5 ×
    await t.app.get(OfferRouter).route(company.companyId!);
    const pending = (await t.http.get('/v1/agents/me/offers').set(agent.auth).expect(200)).body
      .items as { id: string; ticket: { pay: unknown; surge: unknown } }[];
    // Two offers (the agent's limit): the second gets what is left of the budget, and says
    // what that makes of the rate (×1.25, not the ×1.5 the queue's length earned).
    expect(pending.map((o) => o.ticket.surge)).toEqual([
      { multiplierBps: 15_000, extraMinor: 100 },
      { multiplierBps: 12_500, extraMinor: 50 },
    ]);
    expect(pending.map((o) => o.ticket.pay)).toEqual([EUR(300), EUR(250)]);
    // The events store numbers events after their commit: the offer's event may lag its row.
    const created = await waitFor(async () => {
      const res = await t.http.get('/v1/events?types=offer.created').set(agent.auth).expect(200);
      const items = res.body.items as { data: { offerId: string; pay: unknown; surge: unknown } }[];
      return items.find((e) => e.data.offerId === pending[0].id);
    }, 'the offer.created event of the first offer');
    expect(created.data).toMatchObject({
      pay: EUR(300),
      surge: { multiplierBps: 15_000, extraMinor: 100 },
    });

    // The budget is all committed to the two offers, so a quote now would be nothing: the
    // accept claims at the offer's surge.
    const accepted = await t.http
      .post(`/v1/offers/${pending[0].id}/accept`)
      .set(agent.auth)
      .expect(200);
    expect(accepted.body).toMatchObject({
      pay: EUR(300),
      surge: { multiplierBps: 15_000, extraMinor: 100 },
    });
    const detail = await t.http.get(`/v1/shifts/${shiftId}`).set(company.auth).expect(200);
    expect(detail.body.surgeCommittedMinor).toBe(150);
  });

  it('refuses an accept that waited past its offer’s expiry: the budget no longer holds its extra', async () => {
    const {
      agents: [agent],
    } = await liveAgents(
      t,
      company.auth,
      1,
      { maxConcurrentTickets: 1 },
      { ...rate(200), ...surge(150), routing: 'push' },
    );
    await escalateN(4);
    await t.app.get(OfferRouter).route(company.companyId!);
    const [offer] = (await t.http.get('/v1/agents/me/offers').set(agent.auth).expect(200)).body
      .items as { id: string; ticket: { id: string; surge: unknown } }[];
    expect(offer.ticket.surge).toEqual({ multiplierBps: 15_000, extraMinor: 100 });
    // Still pending when the accept looks, then it waits on the ticket (held elsewhere) until
    // the offer has expired; a claim quoting then would no longer count the offer's extra.
    const res = await acceptPastExpiry(t, { id: offer.id, ticketId: offer.ticket.id }, agent.auth);
    expect(res.status).toBe(409);
    expect(res.body.error!.code).toBe('OFFER_EXPIRED');
    expect(
      await t.db.query('SELECT 1 FROM ticket_claims WHERE ticket_id = $1', [offer.ticket.id]),
    ).toEqual([]);
    // The agent answered in time: withdrawn, not left for its expiry job to count against it.
    const [row] = await t.db.query('SELECT status FROM offers WHERE id = $1', [offer.id]);
    expect(row.status).toBe('withdrawn');
    await expect(t.app.get(OfferExpireHandler).handle({ offerId: offer.id })).resolves.toEqual({
      expired: false,
      away: false,
    });
  });

  it('refuses a surge out of range or given in part, naming each field, and writes nothing', async () => {
    const bad = await t.http
      .post('/v1/shifts')
      .set(company.auth)
      .send(
        shiftBody({
          surge: { maxMultiplierBps: 10_000, openTicketsPerAgent: 0, budgetMinor: 1.5 },
        }),
      )
      .expect(400);
    expect(bad.body.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual([
      'surge.budgetMinor',
      'surge.maxMultiplierBps',
      'surge.openTicketsPerAgent',
    ]);
    const part = await t.http
      .post('/v1/shifts')
      .set(company.auth)
      .send(shiftBody({ surge: { maxMultiplierBps: 12_000 } }))
      .expect(400);
    expect(part.body.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual([
      'surge.budgetMinor',
      'surge.openTicketsPerAgent',
    ]);
    const [{ n }] = await t.db.query(
      `SELECT count(*)::int AS n FROM shifts WHERE company_id = $1`,
      [company.companyId],
    );
    expect(n).toBe(0);
  });
});
