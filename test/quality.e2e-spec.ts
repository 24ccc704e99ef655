import { randomUUID } from 'node:crypto';
import { QualityTiers } from '../src/modules/quality/quality-tiers.service';
import { createApiKey, createStaff, registerCompany, type SignedIn } from './support/factories';
import { createTestApp, type TestApp } from './support/test-app';
import { withApiClockOff } from './support/clock';
import { walkPages } from './support/pages';
import { escalate, liveAgents, resolvedTicket } from './support/tickets';

const DAY = 86_400_000;

/**
 * Quality (issue 19): the bot's rating and the company's review of a resolution, the agent's
 * dispute and the admin's decision, and the score they make, against hand-computed values.
 */
describe('quality: ratings, reviews, disputes, scores', () => {
  let t: TestApp;
  let company: SignedIn;
  let key: string;
  let agents: SignedIn[];
  let admin: SignedIn;
  /** Each agent's resolved tickets, in order. */
  const worked = new Map<string, { id: string; externalId: string }[]>();

  beforeAll(async () => {
    // Tiers from one company's inputs, to compare with hand-computed values; the default (3
    // companies) has its own test.
    t = await createTestApp({ env: { QUALITY_TIER_MIN_COMPANIES: '1' } });
    company = await registerCompany(t, 'Rated Co');
    key = await createApiKey(t, company);
    ({ agents } = await liveAgents(t, company.auth, 6));
    admin = await createStaff(t, 'admin');
  });
  afterAll(async () => {
    await t.close();
  });

  async function resolveOne(agent: SignedIn) {
    const ticket = await resolvedTicket(t, key, agent);
    const done = { id: ticket.id, externalId: ticket.externalId };
    worked.set(agent.id, [...(worked.get(agent.id) ?? []), done]);
    return done;
  }
  const bot = () => ({ Authorization: `Bearer ${key}` });
  const rate = (externalId: string, body: Record<string, unknown>) =>
    t.http
      .post(`/v1/escalations/${encodeURIComponent(externalId)}/rating`)
      .set(bot())
      .send(body);
  /** The company's review call: POST writes, PUT changes. */
  const review = (method: 'post' | 'put', ticketId: string, body: object, as = company) =>
    t.http[method](`/v1/tickets/${ticketId}/review`).set(as.auth).send(body);
  /** The company reopens the ticket, and `by` claims and resolves it again. */
  async function reopenAndResolve(ticketId: string, by: SignedIn) {
    await t.http
      .post(`/v1/tickets/${ticketId}/reopen`)
      .set(company.auth)
      .send({ reason: 'Still charged' })
      .expect(200);
    await t.http.post(`/v1/tickets/${ticketId}/claim`).set(by.auth).expect(200);
    await t.http
      .post(`/v1/tickets/${ticketId}/resolve`)
      .set(by.auth)
      .send({ resolutionSummary: 'Refunded again' })
      .expect(200);
  }
  const quality = async (agent: SignedIn) =>
    (await t.http.get('/v1/agents/me/quality').set(agent.auth).expect(200)).body;

  it('scores equal the hand-computed values: the prior, the tiers, three ratings neither make nor break', async () => {
    // Five agents with ten ratings each, of 5, 4, 3, 2 and 1 stars; a sixth with three of 1.
    const stars = [5, 4, 3, 2, 1];
    for (const [i, agent] of agents.slice(0, 5).entries()) {
      for (let n = 0; n < 10; n++) {
        const { externalId } = await resolveOne(agent);
        await rate(externalId, { csat: stars[i] }).expect(201);
      }
    }
    for (let n = 0; n < 3; n++) {
      const { externalId } = await resolveOne(agents[5]);
      await rate(externalId, { csat: 1 }).expect(201);
    }
    // Values (stars − 1) ÷ 4: sums 10, 7.5, 5, 2.5, 0 and 0 over 53 inputs.
    const mean = 25 / 53;
    const expected = (sum: number, n: number) => (sum + 10 * mean) / (n + 10);
    const best = await quality(agents[0]);
    expect(best).toMatchObject({
      windowDays: 90,
      priorWeight: 10,
      platformMean: Number(mean.toFixed(4)),
      inputs: 10,
      sum: 10,
      score: Number(expected(10, 10).toFixed(4)),
      tier: 'top',
      tierMinInputs: 10,
      tierMinCompanies: 1,
      rankedAgents: 5,
      agentsAbove: 0,
      reopenRate: { resolved: 10, reopened: 0, rate: 0 },
    });
    expect(best.counted).toHaveLength(10);
    expect(best.counted[0]).toMatchObject({ kind: 'rating', stars: 5, value: 1 });
    expect(best.perCompany).toEqual([
      {
        companyId: company.companyId,
        companyName: 'Rated Co',
        inputs: 10,
        score: Number(expected(10, 10).toFixed(4)),
        reopenRate: { resolved: 10, reopened: 0, rate: 0 },
      },
    ]);
    const tiers = await Promise.all(agents.map(async (a) => (await quality(a)).tier));
    expect(tiers).toEqual(['top', 'middle', 'middle', 'middle', 'bottom', 'middle']);
    const worst = await quality(agents[4]);
    const few = await quality(agents[5]);
    expect(worst.score).toBe(Number(expected(0, 10).toFixed(4)));
    // Three one-star ratings: above the agent with ten, and not ranked at all.
    expect(few).toMatchObject({
      inputs: 3,
      score: Number(expected(0, 3).toFixed(4)),
      agentsAbove: null,
    });
    expect(few.score).toBeGreaterThan(worst.score);

    // The router's stored tiers (rewritten by the workers' refresh) say the same.
    expect(await t.app.get(QualityTiers).refresh()).toEqual({ refreshed: true, agents: 6 });
    const stored: { agent_id: string; tier: string; score: string }[] = await t.db.query(
      'SELECT agent_id, tier, score FROM agent_quality',
    );
    const byAgent = new Map(stored.map((r) => [r.agent_id, r]));
    for (const [i, agent] of agents.entries()) {
      expect(byAgent.get(agent.id)!.tier).toBe(tiers[i]);
      expect(Number(Number(byAgent.get(agent.id)!.score).toFixed(4))).toBe(
        (await quality(agent)).score,
      );
    }
  });

  it('one company cannot make a tier: an agent is ranked on inputs from three companies', async () => {
    const strict = await createTestApp({ shareWith: t }); // QUALITY_TIER_MIN_COMPANIES: 3
    const view = async (agent: SignedIn) =>
      (await strict.http.get('/v1/agents/me/quality').set(agent.auth).expect(200)).body;
    const tiers = async () => {
      await strict.app.get(QualityTiers).refresh();
      const rows: { agent_id: string; tier: string }[] = await t.db.query(
        'SELECT agent_id, tier FROM agent_quality',
      );
      const byAgent = new Map(rows.map((r) => [r.agent_id, r.tier]));
      return agents.map((a) => byAgent.get(a.id));
    };
    const moved: string[] = [];
    try {
      // Every input so far is Rated Co's: a company with its own agent and a few tickets rated
      // five stars would have bought the top tier. Nobody is ranked.
      expect(await view(agents[0])).toMatchObject({
        score: expect.any(Number),
        tier: 'middle',
        tierMinCompanies: 3,
        rankedAgents: 0,
        agentsAbove: null,
      });
      expect(await tiers()).toEqual(Array(6).fill('middle'));
      // The same inputs from three companies: ranked as the hand-computed values say.
      const others = [await registerCompany(strict), await registerCompany(strict)];
      for (const agent of agents.slice(0, 5)) {
        const done = worked.get(agent.id)!.map((w) => w.id);
        for (const [i, other] of others.entries()) {
          const ids = done.slice(i * 3, i * 3 + 3);
          moved.push(...ids);
          await t.db.query(
            `UPDATE ticket_ratings SET company_id = $2 WHERE ticket_id = ANY($1::uuid[])`,
            [ids, other.companyId],
          );
        }
      }
      expect(await view(agents[0])).toMatchObject({ tier: 'top', rankedAgents: 5 });
      expect(await tiers()).toEqual(['top', 'middle', 'middle', 'middle', 'bottom', 'middle']);
    } finally {
      await t.db.query(
        `UPDATE ticket_ratings SET company_id = $2 WHERE ticket_id = ANY($1::uuid[])`,
        [moved, company.companyId],
      );
      await strict.app.get(QualityTiers).refresh();
      await strict.close();
    }
  });

  it('a removed review stops counting and the score returns exactly; an upheld one counts', async () => {
    const [first] = worked.get(agents[0].id)!;
    const before = await quality(agents[0]);
    const written = await t.http
      .post(`/v1/tickets/${first.id}/review`)
      .set(company.auth)
      .set('Idempotency-Key', randomUUID())
      .send({ score: 1, tags: ['tone'], note: 'Curt with the customer' })
      .expect(201);
    expect(written.body).toMatchObject({ agentId: agents[0].id, score: 1, counts: true });
    // 54 inputs now, sum 25: the agent's 11 inputs sum 10.
    const withReview = await quality(agents[0]);
    const mean54 = 25 / 54;
    expect(withReview.score).toBe(Number(((10 + 10 * mean54) / 21).toFixed(4)));

    const feedback = (await t.http.get('/v1/agents/me/feedback').set(agents[0].auth).expect(200))
      .body.items;
    expect(feedback[0]).toMatchObject({
      kind: 'review',
      reviewId: written.body.id,
      stars: 1,
      tags: ['tone'],
      text: 'Curt with the customer',
      companyName: 'Rated Co',
      counts: true,
      dispute: null,
    });
    // The company changes it after the agent read it: a dispute of the version read is refused
    // (the admin would have decided on a review the agent never saw), one of the current taken.
    const read = feedback[0].updatedAt as string;
    await review('put', first.id, { score: 1, tags: ['tone'], note: 'Curt, and slow' }).expect(200);
    const stale = await t.http
      .post(`/v1/reviews/${written.body.id}/dispute`)
      .set(agents[0].auth)
      .send({ reason: 'The customer thanked me twice', reviewUpdatedAt: read })
      .expect(409);
    expect(stale.body.error).toMatchObject({
      code: 'REVIEW_CHANGED',
      details: { updatedAt: expect.any(String) },
    });
    const current = (await t.http.get('/v1/agents/me/feedback').set(agents[0].auth).expect(200))
      .body.items[0];
    expect(current).toMatchObject({ text: 'Curt, and slow' });
    expect(current.updatedAt).not.toBe(read);
    // Saved again as it is (a retry, a Save with nothing changed): not a change of it.
    await review('put', first.id, { score: 1, tags: ['tone'], note: 'Curt, and slow' }).expect(200);
    const dispute = () =>
      t.http
        .post(`/v1/reviews/${written.body.id}/dispute`)
        .set(agents[0].auth)
        .send({ reason: 'The customer thanked me twice', reviewUpdatedAt: current.updatedAt });
    // Only the agent it is about may dispute it: 404 for another agent.
    await t.http
      .post(`/v1/reviews/${written.body.id}/dispute`)
      .set(agents[1].auth)
      .send({ reason: 'Not mine' })
      .expect(404);
    expect((await dispute().expect(200)).body.dispute).toMatchObject({ status: 'pending' });
    expect((await dispute().expect(409)).body.error.code).toBe('ALREADY_DISPUTED');
    // A disputed review is locked for the company.
    const locked = await review('put', first.id, { score: 2, tags: [] }).expect(409);
    expect(locked.body.error.code).toBe('REVIEW_LOCKED');

    const pending = await t.http.get('/v1/reviews/disputed').set(admin.auth).expect(200);
    expect(pending.body.items).toMatchObject([
      {
        id: written.body.id,
        companyName: 'Rated Co',
        agentName: 'Agent',
        dispute: { status: 'pending' },
        // What was resolved, beside the review and the reason (the admin had the two alone).
        resolution: {
          subject: expect.any(String),
          summary: expect.any(String),
          resolvedAt: expect.any(String),
        },
      },
    ]);
    const removed = await t.http
      .post(`/v1/reviews/${written.body.id}/decision`)
      .set(admin.auth)
      .send({ decision: 'remove', note: 'The transcript shows a kind exchange' })
      .expect(200);
    expect(removed.body).toMatchObject({ counts: false, dispute: { status: 'removed' } });
    expect(await quality(agents[0])).toMatchObject({ score: before.score, inputs: 10 });
    const again = await t.http
      .post(`/v1/reviews/${written.body.id}/decision`)
      .set(admin.auth)
      .send({ decision: 'uphold', note: 'Changed my mind' })
      .expect(409);
    expect(again.body.error.code).toBe('DISPUTE_NOT_PENDING');

    // Upheld: the review stands. Agent 1 (ten 4-star ratings) gets a 5-star review.
    const [second] = worked.get(agents[1].id)!;
    const praise = await review('post', second.id, {
      score: 5,
      tags: ['empathy', 'accuracy'],
    }).expect(201);
    await t.http
      .post(`/v1/reviews/${praise.body.id}/dispute`)
      .set(agents[1].auth)
      .send({ reason: 'Testing' })
      .expect(200);
    await t.http
      .post(`/v1/reviews/${praise.body.id}/decision`)
      .set(admin.auth)
      .send({ decision: 'uphold', note: 'Deserved' })
      .expect(200);
    // 54 inputs counted (the removed review does not), sum 26; agent 1: 11 inputs, sum 8.5.
    const mean = 26 / 54;
    expect(await quality(agents[1])).toMatchObject({
      inputs: 11,
      sum: 8.5,
      score: Number(((8.5 + 10 * mean) / 21).toFixed(4)),
    });
  });

  it('the bot rates once: the same again answers 200, another 409; a key replays; late, unresolved, bad or foreign refused', async () => {
    const agent = agents[2];
    const done = await resolveOne(agent);
    const body = { csat: 4, comment: 'Helpful' };
    const first = await rate(done.externalId, body).expect(201);
    expect(first.body).toMatchObject({ ticketId: done.id, agentId: agent.id, csat: 4 });
    expect((await rate(done.externalId, body).expect(200)).body).toEqual(first.body);
    const conflict = await rate(done.externalId, { csat: 2 }).expect(409);
    expect(conflict.body.error).toMatchObject({
      code: 'RATING_CONFLICT',
      details: { rating: { csat: 4 } },
    });

    // Two at once with the same body: one rating, both answered with it.
    const racing = await resolveOne(agent);
    const answers = await Promise.all([
      rate(racing.externalId, body),
      rate(racing.externalId, body),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 201]);

    const idem = randomUUID();
    const keyed = await resolveOne(agent);
    const post = () =>
      t.http
        .post(`/v1/escalations/${keyed.externalId}/rating`)
        .set(bot())
        .set('Idempotency-Key', idem)
        .send({ csat: 5 });
    const a = await post().expect(201);
    const b = await post().expect(201);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(b.body).toEqual(a.body);

    const bad = await rate(done.externalId, { csat: 6, comment: '' }).expect(400);
    expect(bad.body.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual([
      'comment',
      'csat',
    ]);

    const open = await escalate(t, key);
    expect((await rate(open.externalId as string, { csat: 3 }).expect(409)).body.error.code).toBe(
      'TICKET_NOT_RESOLVED',
    );
    await rate('no-such-conversation', { csat: 3 }).expect(404);
    const other = await registerCompany(t, 'Other Co');
    const otherKey = await createApiKey(t, other);
    await t.http
      .post(`/v1/escalations/${done.externalId}/rating`)
      .set('Authorization', `Bearer ${otherKey}`)
      .send({ csat: 1 })
      .expect(404);

    const late = await resolveOne(agent);
    await t.db.query(
      `UPDATE ticket_claims SET resolved_at = resolved_at - interval '8 days' WHERE ticket_id = $1`,
      [late.id],
    );
    const closed = await rate(late.externalId, { csat: 5 }).expect(409);
    expect(closed.body.error.code).toBe('FEEDBACK_WINDOW_CLOSED');
  });

  it('rates the claim that last resolved: after a reopen and another agent’s resolution, theirs', async () => {
    const done = await resolveOne(agents[3]);
    await reopenAndResolve(done.id, agents[2]);
    const rated = await rate(done.externalId, { csat: 5 }).expect(201);
    expect(rated.body.agentId).toBe(agents[2].id);
    // The reopen shows beside agent 3's score, not in it.
    const q = await quality(agents[3]);
    expect(q.reopenRate).toMatchObject({ reopened: 1 });
    expect(q.reopenRate.resolved).toBe(q.reopenRate.reopened + 10);
  });

  it('says until when a resolution may be reviewed: 90 days after it, then FEEDBACK_WINDOW_CLOSED', async () => {
    const done = await resolveOne(agents[0]);
    const feedback = async () =>
      (await t.http.get(`/v1/tickets/${done.id}/feedback`).set(company.auth).expect(200)).body;
    const [claim] = await t.db.query(
      `SELECT resolved_at FROM ticket_claims WHERE ticket_id = $1 AND status = 'resolved'`,
      [done.id],
    );
    expect(Date.parse((await feedback()).reviewDeadline)).toBe(
      claim.resolved_at.getTime() + 90 * 86_400_000,
    );
    await t.db.query(
      `UPDATE ticket_claims SET resolved_at = resolved_at - interval '91 days' WHERE ticket_id = $1`,
      [done.id],
    );
    expect(Date.parse((await feedback()).reviewDeadline)).toBeLessThan(Date.now());
    const closed = await review('post', done.id, { score: 4, tags: [] }).expect(409);
    expect(closed.body.error.code).toBe('FEEDBACK_WINDOW_CLOSED');
  });

  // Reviews were one per ticket: after a reopen, PUT rewrote the first agent's review with the
  // verdict on the second agent's work (moving the first one's score), and the second
  // resolution could not be reviewed at all.
  it('a review is of one resolution: after a reopen the next agent’s has its own, and the first stays as written', async () => {
    const done = await resolveOne(agents[0]);
    const first = await review('post', done.id, { score: 5, tags: ['accuracy'] }).expect(201);
    expect(first.body.agentId).toBe(agents[0].id);
    await reopenAndResolve(done.id, agents[1]);
    // Nothing to change yet of the second resolution; the first's review is not it.
    const before = await t.http
      .get(`/v1/tickets/${done.id}/feedback`)
      .set(company.auth)
      .expect(200);
    expect(before.body.review).toBeNull();
    await review('put', done.id, { score: 1, tags: ['tone'] }).expect(404);
    const second = await review('post', done.id, { score: 1, tags: ['tone'] }).expect(201);
    expect(second.body).toMatchObject({ agentId: agents[1].id, score: 1 });
    const changed = await review('put', done.id, { score: 2, tags: [] }).expect(200);
    expect(changed.body).toMatchObject({ id: second.body.id, agentId: agents[1].id, score: 2 });
    const rows = await t.db.query(
      `SELECT agent_id, score, tags FROM ticket_reviews WHERE ticket_id = $1 ORDER BY created_at`,
      [done.id],
    );
    expect(rows).toEqual([
      { agent_id: agents[0].id, score: 5, tags: ['accuracy'] },
      { agent_id: agents[1].id, score: 2, tags: [] },
    ]);
    const feedback = await t.http
      .get(`/v1/tickets/${done.id}/feedback`)
      .set(company.auth)
      .expect(200);
    expect(feedback.body.review).toMatchObject({ id: second.body.id, score: 2, counts: true });
    // Past the score's window it counts no more, as the agent's own feedback list says too.
    await t.db.query(
      `UPDATE ticket_reviews SET created_at = now() - interval '91 days' WHERE id = $1`,
      [second.body.id],
    );
    const old = await t.http.get(`/v1/tickets/${done.id}/feedback`).set(company.auth).expect(200);
    expect(old.body.review).toMatchObject({ id: second.body.id, counts: false });
  });

  it('while a ticket is reopened, its feedback is the reopened resolution’s review, which may still change', async () => {
    const done = await resolveOne(agents[0]);
    const first = await review('post', done.id, { score: 4, tags: [] }).expect(201);
    await t.http
      .post(`/v1/tickets/${done.id}/reopen`)
      .set(company.auth)
      .send({ reason: 'Still charged' })
      .expect(200);
    const reopened = await t.http
      .get(`/v1/tickets/${done.id}/feedback`)
      .set(company.auth)
      .expect(200);
    expect(reopened.body.review).toMatchObject({ id: first.body.id, agentId: agents[0].id });
    const lowered = await review('put', done.id, { score: 2, tags: ['accuracy'] }).expect(200);
    expect(lowered.body).toMatchObject({ id: first.body.id, score: 2 });
  });

  it("closes the rating, review and edit windows by the database's clock, though this API's runs ahead", async () => {
    const [rated, reviewed] = [await resolveOne(agents[5]), await resolveOne(agents[5])];
    // A minute left of each window by the database's clock; a minute past it by this API's.
    await t.db.query(
      `UPDATE ticket_claims SET resolved_at = now() - interval '7 days' + interval '60 seconds'
        WHERE ticket_id = $1`,
      [rated.id],
    );
    await t.db.query(
      `UPDATE ticket_claims SET resolved_at = now() - interval '90 days' + interval '60 seconds'
        WHERE ticket_id = $1`,
      [reviewed.id],
    );
    await withApiClockOff(120_000, async () => {
      await rate(rated.externalId, { csat: 4 }).expect(201);
      await review('post', reviewed.id, { score: 4, tags: [] }).expect(201);
    });
    await t.db.query(
      `UPDATE ticket_reviews SET created_at = now() - interval '7 days' + interval '60 seconds'
        WHERE ticket_id = $1`,
      [reviewed.id],
    );
    await withApiClockOff(120_000, async () => {
      await review('put', reviewed.id, { score: 5, tags: [] }).expect(200);
    });
  });

  it('a review: once per resolution, changed for 7 days, refused when not resolved, bad or foreign', async () => {
    const done = await resolveOne(agents[4]);
    const body = { score: 3, tags: ['speed', 'policy'], note: 'Fine' };
    const first = await review('post', done.id, body).expect(201);
    expect(first.body.tags).toEqual(['policy', 'speed']);
    expect(Date.parse(first.body.editableUntilAt) - Date.parse(first.body.createdAt)).toBe(7 * DAY);
    await review('post', done.id, { ...body, tags: ['policy', 'speed'] }).expect(200);
    const exists = await review('post', done.id, { score: 4, tags: [] }).expect(409);
    expect(exists.body.error.code).toBe('REVIEW_EXISTS');
    const changed = await review('put', done.id, { score: 4, tags: ['accuracy'] }).expect(200);
    expect(changed.body).toMatchObject({ score: 4, tags: ['accuracy'], note: null });
    const feedback = await t.http
      .get(`/v1/tickets/${done.id}/feedback`)
      .set(company.auth)
      .expect(200);
    expect(feedback.body).toMatchObject({ rating: null, review: { score: 4 } });

    await t.db.query(
      `UPDATE ticket_reviews SET created_at = created_at - interval '8 days' WHERE ticket_id = $1`,
      [done.id],
    );
    const locked = await review('put', done.id, { score: 5, tags: [] }).expect(409);
    expect(locked.body.error.code).toBe('REVIEW_LOCKED');

    const bad = await review('post', done.id, { score: 0, tags: ['rude', 'tone', 'tone'] }).expect(
      400,
    );
    expect(bad.body.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual([
      'score',
      'tags',
    ]);
    const open = await escalate(t, key);
    const unresolved = await review('post', open.id, { score: 3, tags: [] }).expect(409);
    expect(unresolved.body.error.code).toBe('TICKET_NOT_RESOLVED');
    const other = await registerCompany(t, 'Nosy Co');
    await review('post', done.id, { score: 1, tags: [] }, other).expect(404);
    await t.http.get(`/v1/tickets/${done.id}/feedback`).set(other.auth).expect(404);
  });

  it('the company sees the score of agents who worked its shifts, with its own inputs only', async () => {
    const seen = await t.http
      .get(`/v1/companies/me/agents/${agents[0].id}/quality`)
      .set(company.auth)
      .expect(200);
    expect(seen.body).toMatchObject({ agentId: agents[0].id, tier: 'top' });
    expect(seen.body.perCompany.map((c: { companyId: string }) => c.companyId)).toEqual([
      company.companyId,
    ]);
    // Nothing from which other companies' feedback could be worked out: with the score and
    // the platform mean, the overall count and sum would give their average away.
    expect(seen.body).toMatchObject({ inputs: null, sum: null, reopenRate: null });
    // Nor four decimals of the score and the mean: the company moving its own review by a known
    // amount and reading both again gave the count and sum of the others' exactly. Two, as the
    // console shows them (whole percents), the score rounded down (shown above a shift's bar it
    // missed, the refusal read as wrong); its own score too (with its own count and sum known,
    // four decimals of it gave the mean away); nor the agent's rank.
    const own = await quality(agents[0]);
    expect(seen.body.score).toBe(Math.floor(own.score * 100 + 1e-9) / 100);
    expect(seen.body.platformMean).toBe(Math.round(own.platformMean * 100) / 100);
    const ownHere = own.perCompany.find(
      (c: { companyId: string }) => c.companyId === company.companyId,
    );
    expect(seen.body.perCompany[0].score).toBe(Math.floor(ownHere.score * 100 + 1e-9) / 100);
    expect(seen.body).toMatchObject({ rankedAgents: null, agentsAbove: null });
    expect(
      seen.body.counted.every((c: { companyId: string }) => c.companyId === company.companyId),
    ).toBe(true);
    // The agent sees them on its own score.
    expect(await quality(agents[0])).toMatchObject({ inputs: expect.any(Number) });
    const stranger = await registerCompany(t, 'Stranger Co');
    await t.http
      .get(`/v1/companies/me/agents/${agents[0].id}/quality`)
      .set(stranger.auth)
      .expect(404);
  });

  it('lists the newest 100 inputs with a score; the feedback list pages every one', async () => {
    const co = await registerCompany(t);
    const coKey = await createApiKey(t, co);
    const {
      agents: [agent],
    } = await liveAgents(t, co.auth, 1);
    for (let n = 0; n < 101; n++) {
      const { externalId } = await resolvedTicket(t, coKey, agent);
      await t.http
        .post(`/v1/escalations/${encodeURIComponent(externalId)}/rating`)
        .set('Authorization', `Bearer ${coKey}`)
        .send({ csat: 4 })
        .expect(201);
    }
    const q = await quality(agent);
    expect(q.inputs).toBe(101);
    expect(q.counted).toHaveLength(100);
    const seen = await t.http
      .get(`/v1/companies/me/agents/${agent.id}/quality`)
      .set(co.auth)
      .expect(200);
    expect(seen.body.counted).toHaveLength(100);
    expect(seen.body.perCompany).toEqual([
      expect.objectContaining({ inputs: 101, reopenRate: { resolved: 101, reopened: 0, rate: 0 } }),
    ]);
    const pages = await walkPages<{ items: unknown[]; nextCursor: string | null }>(
      t,
      '/v1/agents/me/feedback',
      agent.auth,
      100,
    );
    expect(pages.flatMap((p) => p.items)).toHaveLength(101);
  });

  it('handoff quality: what agents flagged missing, and what came back, moved on or went away', async () => {
    const co = await registerCompany(t, 'Handoff Co');
    const coKey = await createApiKey(t, co);
    const {
      agents: [agent],
    } = await liveAgents(t, co.auth, 1);
    const resolveWith = (handoff?: unknown) =>
      resolvedTicket(t, coKey, agent, handoff ? { handoff } : {});
    await resolveWith({ complete: false, missing: ['Order ID', ' customer email '] });
    await resolveWith({ complete: false, missing: ['order id'] });
    await resolveWith({ complete: true });
    const reopened = await resolveWith();
    await t.http
      .post(`/v1/tickets/${reopened.id}/reopen`)
      .set(co.auth)
      .send({ reason: 'Not fixed' })
      .expect(200);
    const gone = await escalate(t, coKey);
    await t.http
      .post(`/v1/escalations/${gone.externalId}/withdraw`)
      .set('Authorization', `Bearer ${coKey}`)
      .send({ reason: 'Customer left' })
      .expect(200);
    // Missing items on a complete handoff contradict it: 400 naming the field.
    const ticket = await escalate(t, coKey);
    await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);
    const bad = await t.http
      .post(`/v1/tickets/${ticket.id}/resolve`)
      .set(agent.auth)
      .send({ resolutionSummary: 'done', handoff: { complete: true, missing: ['x'] } })
      .expect(400);
    expect(bad.body.error.details.fields[0].field).toBe('handoff.missing');
    const badType = await t.http
      .post(`/v1/tickets/${ticket.id}/resolve`)
      .set(agent.auth)
      .send({ resolutionSummary: 'done', handoff: { complete: 'no', missing: [''] } })
      .expect(400);
    expect(badType.body.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual(
      ['handoff.complete', 'handoff.missing'],
    );

    const report = await t.http.get('/v1/companies/me/handoff-quality').set(co.auth).expect(200);
    // Six escalations: two flagged incomplete, one reopened, one withdrawn; one still open.
    expect(report.body).toEqual({
      windowDays: 90,
      escalations: 6,
      judged: 3,
      incomplete: { count: 2, share: 0.333 },
      reopened: { count: 1, share: 0.167 },
      transferred: { count: 0, share: 0 },
      withdrawn: { count: 1, share: 0.167 },
      troubled: { count: 4, share: 0.667 },
      mostMissing: [
        { item: 'order id', count: 2 },
        { item: 'customer email', count: 1 },
      ],
    });
    await t.http.get('/v1/companies/me/handoff-quality').set(agent.auth).expect(403);
  });
});
