import { TicketLedgerHandler } from '../src/modules/ledger/earnings-posting.handlers';
import { JobPayloads } from '../src/modules/jobs/job-registry';
import { createApiKey, createStaff, registerCompany, SignedIn } from './support/factories';
import { escalate, liveAgents, resolvedTicket } from './support/tickets';
import { createTestApp, TestApp } from './support/test-app';
import { waitForLockWaiters, withRowsHeld } from './support/row-locks';

/*
 * Issue 15: a withdrawal pays exactly as described. With a customer-visible message from the
 * holder it earns and bills like a resolution; without, nothing is earned, billed or counted
 * against the agent. A withdrawn ticket cannot be claimed, resolved or reopened, and frees the
 * agent's capacity. The ledger's jobs are run here as the worker would run them.
 */

describe('withdrawing an escalation', () => {
  let t: TestApp;
  let co: SignedIn;
  let key: string;
  let bot: Record<string, string>;
  let finance: SignedIn;
  beforeAll(async () => {
    t = await createTestApp({ env: { PLATFORM_FEE_BPS: '1500' } });
    co = await registerCompany(t, 'Withdrawers');
    key = await createApiKey(t, co);
    bot = { Authorization: `Bearer ${key}` };
    finance = await createStaff(t, 'finance');
  });
  afterAll(async () => {
    await t.close();
  });

  async function runLedgerJobs(ticketId: string): Promise<number> {
    const rows: { payload: JobPayloads['ledger.ticket-event'] }[] = await t.db.query(
      `SELECT payload FROM outbox WHERE job_name = 'ledger.ticket-event'
          AND payload->'event'->>'ticketId' = $1 ORDER BY id`,
      [ticketId],
    );
    // Twice: a duplicated job books nothing more.
    for (let i = 0; i < 2; i++) {
      for (const r of rows) await t.app.get(TicketLedgerHandler).handle(r.payload);
    }
    return rows.length;
  }

  const statementLine = async (ticketId: string) => {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const res = await t.http
      .get(`/v1/companies/me/statement?from=${from}&to=${to}&limit=100`)
      .set(co.auth)
      .expect(200);
    return (res.body.lines as { ticketId: string }[]).find((l) => l.ticketId === ticketId);
  };

  const earningOf = async (ticketId: string) =>
    (
      await t.db.query(
        `SELECT agent_id, amount_minor::int AS amount, fee_minor::int AS fee, currency, status
           FROM earnings WHERE ticket_id = $1`,
        [ticketId],
      )
    )[0] as Record<string, unknown> | undefined;

  const withdraw = (externalId: string, reason = 'The customer closed the chat') =>
    t.http.post(`/v1/escalations/${externalId}/withdraw`).set(bot).send({ reason });

  it("pays a holder who had written to the customer exactly a resolution's earning and statement line", async () => {
    const {
      agents: [agent],
    } = await liveAgents(
      t,
      co.auth,
      1,
      {},
      { ratePerTicket: { amountMinor: 800, currency: 'EUR' } },
    );
    // A resolution under the same shift, for comparison.
    const resolvedTicket = await escalate(t, key);
    await t.http.post(`/v1/tickets/${resolvedTicket.id}/claim`).set(agent.auth).expect(200);
    await t.http
      .post(`/v1/tickets/${resolvedTicket.id}/resolve`)
      .set(agent.auth)
      .send({ resolutionSummary: 'done' })
      .expect(200);
    await runLedgerJobs(resolvedTicket.id);

    const ticket = await escalate(t, key);
    await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);
    await t.http
      .post(`/v1/tickets/${ticket.id}/messages`)
      .set(agent.auth)
      .send({ body: 'Looking into it now', visibility: 'customer' })
      .expect(201);
    const res = await withdraw(ticket.externalId as string).expect(200);
    expect(res.body).toMatchObject({ id: ticket.id, status: 'withdrawn' });
    // Both claims carry the platform fee in force when they were resolved.
    const fees = await t.db.query(
      `SELECT fee_bps FROM ticket_claims WHERE ticket_id = ANY($1::uuid[])`,
      [[ticket.id, resolvedTicket.id]],
    );
    expect(fees).toEqual([{ fee_bps: 1500 }, { fee_bps: 1500 }]);
    expect(await runLedgerJobs(ticket.id)).toBe(1);

    const resolvedEarning = await earningOf(resolvedTicket.id);
    expect(resolvedEarning).toMatchObject({ amount: 800, fee: 120, currency: 'EUR' });
    expect(await earningOf(ticket.id)).toEqual(resolvedEarning);
    const [mine, theirs] = [await statementLine(ticket.id), await statementLine(resolvedTicket.id)];
    const comparable = (l: Record<string, unknown> | undefined) => ({
      ...l,
      ticketId: undefined,
      externalId: undefined,
      claimId: undefined,
      earnedAt: undefined,
      resolvedAt: undefined,
    });
    expect(mine).toBeDefined();
    expect(comparable(mine)).toEqual(comparable(theirs));
    const [{ n }] = await t.db.query(
      `SELECT count(*)::int AS n FROM journal_entries WHERE kind = 'earning' AND ticket_id = $1`,
      [ticket.id],
    );
    expect(n).toBe(1);
    const integrity = await t.http.get('/v1/ledger/integrity').set(finance.auth).expect(200);
    expect(integrity.body.ok).toBe(true);

    // Paid, but final: the customer left, so there is nothing to rate or review.
    const rating = await t.http
      .post(`/v1/escalations/${ticket.externalId as string}/rating`)
      .set(bot)
      .send({ csat: 1 })
      .expect(409);
    // Said so: "not resolved yet" invited the bot to retry a rating that can never be.
    expect(rating.body.error).toMatchObject({
      code: 'TICKET_WITHDRAWN',
      message: 'The ticket was withdrawn: a withdrawn ticket is final, and is not rated',
    });
    const review = await t.http
      .post(`/v1/tickets/${ticket.id}/review`)
      .set(co.auth)
      .send({ score: 1, tags: [], note: 'Left the customer' })
      .expect(409);
    expect(review.body.error.code).toBe('TICKET_WITHDRAWN');
    await t.http
      .put(`/v1/tickets/${ticket.id}/review`)
      .set(co.auth)
      .send({ score: 1, tags: [] })
      .expect(409, /TICKET_WITHDRAWN/);
    // Its feedback reads as none, as before, and it can never be reviewed.
    const feedback = await t.http.get(`/v1/tickets/${ticket.id}/feedback`).set(co.auth).expect(200);
    expect(feedback.body).toEqual({
      rating: null,
      review: null,
      claimId: null,
      reviewDeadline: null,
    });
    // Nor a resolution in the agent's reopen rate: it can never be reopened.
    const quality = await t.http.get('/v1/agents/me/quality').set(agent.auth).expect(200);
    expect(quality.body.reopenRate).toMatchObject({ resolved: 1, reopened: 0 });
    // A resolution reopened and then withdrawn still counts, reopened.
    await t.http
      .post(`/v1/tickets/${resolvedTicket.id}/reopen`)
      .set(co.auth)
      .send({ reason: 'Not solved' })
      .expect(200);
    await withdraw(resolvedTicket.externalId as string).expect(200);
    const after = await t.http.get('/v1/agents/me/quality').set(agent.auth).expect(200);
    expect(after.body.reopenRate).toMatchObject({ resolved: 1, reopened: 1 });
  });

  /** A ticket an agent resolved, reopened by its company: open again, its resolution kept. */
  const reopenedTicket = async () => {
    const {
      agents: [agent],
    } = await liveAgents(t, co.auth, 1);
    const ticket = await resolvedTicket(t, key, agent);
    await t.http
      .post(`/v1/tickets/${ticket.id}/reopen`)
      .set(co.auth)
      .send({ reason: 'Not solved' })
      .expect(200);
    return ticket;
  };

  it('writes no first rating or review on a ticket a withdrawal made final while it was being written', async () => {
    const ticket = await reopenedTicket();
    // The withdrawal holds the ticket (as its transaction does) while the feedback comes in,
    // and commits once both wait: read before it, the feedback was written on a final ticket.
    const [review, rating] = await withRowsHeld(
      t,
      'SELECT 1 FROM tickets WHERE id = $1 FOR UPDATE',
      [ticket.id],
      async (held) => {
        const answers = Promise.all([
          t.http
            .post(`/v1/tickets/${ticket.id}/review`)
            .set(co.auth)
            .send({ score: 2, tags: ['accuracy'] })
            .then((r) => r),
          t.http
            .post(`/v1/escalations/${ticket.externalId as string}/rating`)
            .set(bot)
            .send({ csat: 1 })
            .then((r) => r),
        ]);
        await waitForLockWaiters(t, 2, 'the review and the rating waiting for the ticket');
        await held.query(
          `UPDATE tickets SET status = 'withdrawn', withdrawn_at = now() WHERE id = $1`,
          [ticket.id],
        );
        await held.commitTransaction();
        return answers;
      },
    );
    expect([review.status, review.body.error?.code]).toEqual([409, 'TICKET_WITHDRAWN']);
    expect([rating.status, rating.body.error?.code]).toEqual([409, 'TICKET_WITHDRAWN']);
    const stored = await t.db.query(
      `SELECT (SELECT count(*) FROM ticket_reviews WHERE ticket_id = $1)::int AS reviews,
              (SELECT count(*) FROM ticket_ratings WHERE ticket_id = $1)::int AS ratings`,
      [ticket.id],
    );
    expect(stored).toEqual([{ reviews: 0, ratings: 0 }]);
  });

  it('keeps a review of a resolution reopened and then withdrawn: it counts, so the company reads it and may change it, but writes no new one', async () => {
    const {
      agents: [first, second],
    } = await liveAgents(t, co.auth, 2);
    const ticket = await resolvedTicket(t, key, first);
    const [{ claimId: firstClaim, agentId: firstAgent }] = (
      await t.http.get(`/v1/tickets/${ticket.id}`).set(co.auth).expect(200)
    ).body.claims as { claimId: string; agentId: string }[];
    const written = await t.http
      .post(`/v1/tickets/${ticket.id}/review`)
      .set(co.auth)
      .send({ score: 2, tags: ['accuracy'], note: 'Missed the second charge' })
      .expect(201);
    await t.http
      .post(`/v1/tickets/${ticket.id}/reopen`)
      .set(co.auth)
      .send({ reason: 'The second charge is still there' })
      .expect(200);
    // The second agent writes to the customer, then the bot withdraws: a paid withdrawal, not a
    // resolution the review could be of.
    await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(second.auth).expect(200);
    await t.http
      .post(`/v1/tickets/${ticket.id}/messages`)
      .set(second.auth)
      .send({ body: 'Looking at the second charge', visibility: 'customer' })
      .expect(201);
    await withdraw(ticket.externalId as string).expect(200);

    const feedback = await t.http.get(`/v1/tickets/${ticket.id}/feedback`).set(co.auth).expect(200);
    expect(feedback.body).toMatchObject({
      review: { id: written.body.id, agentId: firstAgent, score: 2, counts: true },
      claimId: firstClaim,
      reviewDeadline: null,
    });
    const changed = await t.http
      .put(`/v1/tickets/${ticket.id}/review`)
      .set(co.auth)
      .send({ score: 3, tags: ['accuracy'] })
      .expect(200);
    expect(changed.body).toMatchObject({ id: written.body.id, score: 3, note: null });
    // The same review again is answered as it is; another is refused as it would be anyway.
    await t.http
      .post(`/v1/tickets/${ticket.id}/review`)
      .set(co.auth)
      .send({ score: 3, tags: ['accuracy'] })
      .expect(200);
    await t.http
      .post(`/v1/tickets/${ticket.id}/review`)
      .set(co.auth)
      .send({ score: 5, tags: [] })
      .expect(409, /REVIEW_EXISTS/);
    const reviews = await t.db.query(
      `SELECT claim_id, score FROM ticket_reviews WHERE ticket_id = $1`,
      [ticket.id],
    );
    expect(reviews).toEqual([{ claim_id: firstClaim, score: 3 }]);
  });

  it('refuses a first review of a resolution reopened and then withdrawn: the ticket is final', async () => {
    const ticket = await reopenedTicket();
    await withdraw(ticket.externalId as string).expect(200);
    const feedback = await t.http.get(`/v1/tickets/${ticket.id}/feedback`).set(co.auth).expect(200);
    expect(feedback.body).toMatchObject({ review: null, reviewDeadline: null });
    expect(feedback.body.claimId).toEqual(expect.any(String));
    await t.http
      .post(`/v1/tickets/${ticket.id}/review`)
      .set(co.auth)
      .send({ score: 1, tags: [] })
      .expect(409, /TICKET_WITHDRAWN/);
    await t.http
      .put(`/v1/tickets/${ticket.id}/review`)
      .set(co.auth)
      .send({ score: 1, tags: [] })
      .expect(409, /TICKET_WITHDRAWN/);
  });

  it('pays nothing, bills nothing and marks nothing when the holder had not written to the customer', async () => {
    const {
      agents: [agent],
    } = await liveAgents(t, co.auth, 1, { maxConcurrentTickets: 1 });
    const before = (await t.http.get('/v1/agents/me/reliability').set(agent.auth).expect(200)).body;
    const ticket = await escalate(t, key);
    await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);
    // An internal note is not writing to the customer.
    await t.http
      .post(`/v1/tickets/${ticket.id}/messages`)
      .set(agent.auth)
      .send({ body: 'checking the order', visibility: 'internal' })
      .expect(201);
    await withdraw(ticket.externalId as string).expect(200);
    expect(await runLedgerJobs(ticket.id)).toBe(0);
    expect(await earningOf(ticket.id)).toBeUndefined();
    expect(await statementLine(ticket.id)).toBeUndefined();
    const after = (await t.http.get('/v1/agents/me/reliability').set(agent.auth).expect(200)).body;
    expect(after).toEqual(before);
    const claims = (await t.http.get(`/v1/tickets/${ticket.id}`).set(co.auth).expect(200)).body
      .claims;
    expect(claims).toMatchObject([{ status: 'released', releasedBy: 'withdrawn' }]);
    // Its capacity (one ticket) is free again.
    const next = await escalate(t, key);
    await t.http.post(`/v1/tickets/${next.id}/claim`).set(agent.auth).expect(200);
    const integrity = await t.http.get('/v1/ledger/integrity').set(finance.auth).expect(200);
    expect(integrity.body.ok).toBe(true);
  });

  it('is final: no claim, resolve, reopen, message or transfer; a retry answers the same ticket', async () => {
    const {
      agents: [agent, other],
    } = await liveAgents(t, co.auth, 2);
    const open = await escalate(t, key);
    await withdraw(open.externalId as string).expect(200);
    const claim = await t.http.post(`/v1/tickets/${open.id}/claim`).set(agent.auth).expect(409);
    // Not open, as any ticket another agent took; that the bot withdrew it is not said.
    expect(claim.body.error).toMatchObject({
      code: 'TICKET_NOT_OPEN',
      message: 'The ticket is not open',
    });
    const again = await withdraw(open.externalId as string, 'another reason').expect(200);
    expect(again.body.status).toBe('withdrawn');

    const held = await escalate(t, key);
    await t.http.post(`/v1/tickets/${held.id}/claim`).set(agent.auth).expect(200);
    await t.http
      .post(`/v1/tickets/${held.id}/messages`)
      .set(agent.auth)
      .send({ body: 'Hello', visibility: 'customer' })
      .expect(201);
    await withdraw(held.externalId as string).expect(200);
    const codes = async (req: Promise<{ status: number; body: { error?: { code: string } } }>) => {
      const res = await req;
      return `${res.status} ${res.body.error?.code}`;
    };
    expect(
      await codes(
        t.http
          .post(`/v1/tickets/${held.id}/resolve`)
          .set(agent.auth)
          .send({ resolutionSummary: 'done' }),
      ),
    ).toBe('409 TICKET_WITHDRAWN');
    expect(
      await codes(
        t.http.post(`/v1/tickets/${held.id}/reopen`).set(co.auth).send({ reason: 'came back' }),
      ),
    ).toBe('409 TICKET_WITHDRAWN'); // the company's own: final, said so
    expect(
      await codes(
        t.http.post(`/v1/tickets/${held.id}/reopen`).set(bot).send({ reason: 'came back' }),
      ),
    ).toBe('409 TICKET_WITHDRAWN');
    expect(
      await codes(
        t.http
          .post(`/v1/tickets/${held.id}/messages`)
          .set(agent.auth)
          .send({ body: 'still there?', visibility: 'customer' }),
      ),
    ).toBe('409 TICKET_WITHDRAWN');
    expect(
      await codes(
        t.http
          .post(`/v1/tickets/${held.id}/transfer`)
          .set(agent.auth)
          .send({ requiredSkills: [{ skill: 'refunds', minLevel: 1 }], note: 'x' }),
      ),
    ).toBe('409 TICKET_WITHDRAWN');
    expect(
      await codes(
        t.http
          .post(`/v1/escalations/${held.externalId}/messages`)
          .set(bot)
          .send({ messageId: 'late', body: 'hi', author: 'customer', at: '2026-11-25T10:00:00Z' }),
      ),
    ).toBe('409 TICKET_WITHDRAWN');
    // An agent who never held it is told only that it is not theirs: that the bot withdrew it
    // is the company's and its agent's business.
    for (const req of [
      t.http
        .post(`/v1/tickets/${held.id}/resolve`)
        .set(other.auth)
        .send({ resolutionSummary: 'done' }),
      t.http
        .post(`/v1/tickets/${held.id}/messages`)
        .set(other.auth)
        .send({ body: 'hi', visibility: 'customer' }),
      t.http
        .post(`/v1/tickets/${held.id}/transfer`)
        .set(other.auth)
        .send({ requiredSkills: [{ skill: 'refunds', minLevel: 1 }], note: 'x' }),
    ]) {
      expect(await codes(req)).toBe('403 TICKET_NOT_CLAIMED_BY_YOU');
    }
    // The database refuses it too, whatever the code does.
    await expect(
      t.db.query(`UPDATE tickets SET status = 'open' WHERE id = $1`, [held.id]),
    ).rejects.toMatchObject({ constraint: 'ck_tickets_transition' });

    // A resolved ticket cannot be withdrawn.
    const done = await escalate(t, key);
    await t.http.post(`/v1/tickets/${done.id}/claim`).set(agent.auth).expect(200);
    await t.http
      .post(`/v1/tickets/${done.id}/resolve`)
      .set(agent.auth)
      .send({ resolutionSummary: 'done' })
      .expect(200);
    expect(await codes(withdraw(done.externalId as string))).toBe('409 TICKET_NOT_OPEN');
  });

  it('withdraws exactly once when the bot and the holder race (resolve vs withdraw)', async () => {
    const {
      agents: [agent],
    } = await liveAgents(
      t,
      co.auth,
      1,
      {},
      { ratePerTicket: { amountMinor: 500, currency: 'EUR' } },
    );
    const ticket = await escalate(t, key);
    await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);
    await t.http
      .post(`/v1/tickets/${ticket.id}/messages`)
      .set(agent.auth)
      .send({ body: 'Done on my side', visibility: 'customer' })
      .expect(201);
    const [resolve, withdrawn] = await Promise.all([
      t.http
        .post(`/v1/tickets/${ticket.id}/resolve`)
        .set(agent.auth)
        .send({ resolutionSummary: 'done' }),
      withdraw(ticket.externalId as string),
    ]);
    // One of them wins; the other is told why.
    expect([resolve.status, withdrawn.status].sort()).toEqual([200, 409]);
    await runLedgerJobs(ticket.id);
    // Either way the agent earns it once.
    expect(await earningOf(ticket.id)).toMatchObject({ amount: 500, agent_id: agent.id });
    const [{ n }] = await t.db.query(
      `SELECT count(*)::int AS n FROM journal_entries WHERE kind = 'earning' AND ticket_id = $1`,
      [ticket.id],
    );
    expect(n).toBe(1);
  });
});
