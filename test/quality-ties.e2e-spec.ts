import { QualityTiers } from '../src/modules/quality/quality-tiers.service';
import { createApiKey, registerCompany, type SignedIn } from './support/factories';
import { createTestApp, type TestApp } from './support/test-app';
import { liveAgents, resolvedTicket } from './support/tickets';

/**
 * Equal scores rank equal. Scores are (sum + 10 · mean) ÷ (inputs + 10) over the platform's mean;
 * this file has its own database, so the mean is this test's alone: 30 ratings summing 5, 1/6.
 */
describe('quality: equal scores rank equal', () => {
  let t: TestApp;
  let key: string;
  let agents: SignedIn[];
  beforeAll(async () => {
    t = await createTestApp({ env: { QUALITY_TIER_MIN_COMPANIES: '1' } });
    const company = await registerCompany(t, 'Tied Co');
    key = await createApiKey(t, company);
    ({ agents } = await liveAgents(t, company.auth, 3));
  });
  afterAll(async () => {
    await t.close();
  });

  const rateAll = async (agent: SignedIn, stars: number[]) => {
    for (const csat of stars) {
      const { externalId } = await resolvedTicket(t, key, agent);
      await t.http
        .post(`/v1/escalations/${encodeURIComponent(externalId)}/rating`)
        .set({ Authorization: `Bearer ${key}` })
        .send({ csat })
        .expect(201);
    }
  };
  const quality = async (agent: SignedIn) =>
    (await t.http.get('/v1/agents/me/quality').set(agent.auth).expect(200)).body;

  it('ranks two agents with the same score level, however their inputs add up to it', async () => {
    const [a, b, c] = agents;
    // A: ten one-star ratings (sum 0); B: twelve of one star and one of two (sum ¼); C, not
    // ranked (seven inputs): 5, 5, 5, 5, 4, 1, 1 stars (sum 4¾). The mean is 5/30 = 1/6, and A
    // and B both score (0 + 10/6) ÷ 20 = (¼ + 10/6) ÷ 23 = 1/12. With the mean divided first,
    // A's came out 0.0833…334 and B's 0.0833…333: B ranked below an agent it equals.
    await rateAll(a, Array(10).fill(1));
    await rateAll(b, [...Array(12).fill(1), 2]);
    await rateAll(c, [5, 5, 5, 5, 4, 1, 1]);
    const [qa, qb] = [await quality(a), await quality(b)];
    expect(qa).toMatchObject({ inputs: 10, score: 0.0833, rankedAgents: 2, agentsAbove: 0 });
    expect(qb).toMatchObject({ inputs: 13, score: 0.0833, rankedAgents: 2, agentsAbove: 0 });
    // The router's stored scores (the workers' refresh) are the same number too.
    await t.app.get(QualityTiers).refresh();
    const stored: { agent_id: string; score: string }[] = await t.db.query(
      'SELECT agent_id, score FROM agent_quality WHERE agent_id = ANY($1)',
      [[a.id, b.id]],
    );
    expect(new Set(stored.map((r) => r.score)).size).toBe(1);
    expect(stored).toHaveLength(2);
  });
});
