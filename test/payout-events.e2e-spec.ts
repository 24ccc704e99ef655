import { FakeStripe } from '../src/modules/stripe/fake-stripe.server';
import { createApiKey, registerAgent, registerCompany, SignedIn } from './support/factories';
import { fund, onboarded, payoutsApp } from './support/money';
import { TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

interface EventBody {
  id: number;
  type: string;
  companyId: string | null;
  agentId: string | null;
  data: Record<string, unknown>;
}

describe('payout run events', () => {
  let t: TestApp;
  let fake: FakeStripe;
  let maker: SignedIn;
  let checker: SignedIn;

  beforeAll(async () => {
    ({ t, fake, maker, checker } = await payoutsApp());
  });
  afterAll(() => t.close());

  async function events(
    auth: string,
    types = 'payout_run.created,payout_run.approved,payout_run.cancelled,payout_run.executing,payout_run.completed,payout_run.line_failed',
  ) {
    const all: EventBody[] = [];
    let after = 0;
    for (;;) {
      const res = await t.http
        .get(`/v1/events?after=${after}&limit=500&types=${types}`)
        .set('Authorization', auth)
        .expect(200);
      all.push(...(res.body.items as EventBody[]));
      if (!res.body.hasMore) return all;
      after = res.body.nextAfter as number;
    }
  }
  const ofRun = (list: EventBody[], runId: string) =>
    list.filter((e) => e.data.payoutRunId === runId);

  it('tells finance of each step of a run, a line failing for good, and its completion; nobody else', async () => {
    const paid = await registerAgent(t);
    const refused = await registerAgent(t);
    await onboarded(t, fake, paid.id);
    const refusing = await onboarded(t, fake, refused.id);
    fake.updateAccount(refusing, { capabilities: { transfers: 'inactive' } });
    await fund(t, paid.id, 5000, 'SEK');
    await fund(t, refused.id, 4000, 'SEK');

    const draft = await t.http
      .post('/v1/payout-runs')
      .set(maker.auth)
      .send({ currency: 'SEK' })
      .expect(201);
    const runId = draft.body.id as string;
    await t.http.post(`/v1/payout-runs/${runId}/approve`).set(checker.auth).expect(200);
    await t.http.post(`/v1/payout-runs/${runId}/execute`).set(maker.auth).expect(202);

    const seen = await waitFor(async () => {
      const mine = ofRun(await events(maker.auth.Authorization), runId);
      return mine.some((e) => e.type === 'payout_run.completed') && mine;
    }, 'the run to complete');
    const lineId = (
      await t.http.get(`/v1/payout-runs/${runId}`).set(maker.auth).expect(200)
    ).body.lines.find((l: { agentId: string }) => l.agentId === refused.id).id;
    expect(seen.map((e) => [e.type, e.data.status])).toEqual([
      ['payout_run.created', 'draft'],
      ['payout_run.approved', 'approved'],
      ['payout_run.executing', 'executing'],
      ['payout_run.line_failed', undefined],
      ['payout_run.completed', 'completed_with_failures'],
    ]);
    expect(seen[3].data).toMatchObject({
      lineId,
      agentId: refused.id,
      stripeCode: 'insufficient_capabilities_for_transfer',
      refused: true,
    });
    for (const e of seen) expect(e).toMatchObject({ companyId: null, agentId: null });
    // The other finance user sees the same; ids rise.
    expect(ofRun(await events(checker.auth.Authorization), runId)).toEqual(seen);
    expect(seen.map((e) => e.id)).toEqual([...seen.map((e) => e.id)].sort((x, y) => x - y));

    // Abandoning the refused line completes the run: one more event, once.
    await t.http
      .post(`/v1/payout-runs/${runId}/lines/${lineId}/abandon`)
      .set(maker.auth)
      .send({ reason: 'account closed' })
      .expect(200);
    // Events get their id once committed and sequenced: wait for it, then check it came once.
    const after = await waitFor(async () => {
      const mine = ofRun(await events(maker.auth.Authorization), runId);
      return mine.length > seen.length && mine;
    }, 'the completion after abandoning');
    expect(after.slice(seen.length).map((e) => [e.type, e.data.status])).toEqual([
      ['payout_run.completed', 'completed'],
    ]);

    // Agents (even the paid one), company admins and bots see none of it.
    const company = await registerCompany(t);
    const bot = await createApiKey(t, company);
    for (const auth of [
      paid.auth.Authorization,
      refused.auth.Authorization,
      company.auth.Authorization,
      `Bearer ${bot}`,
    ]) {
      expect(await events(auth)).toEqual([]);
    }
  });

  it('records a cancelled run', async () => {
    const agent = await registerAgent(t);
    await onboarded(t, fake, agent.id);
    await fund(t, agent.id, 3000, 'NOK');
    const draft = await t.http
      .post('/v1/payout-runs')
      .set(maker.auth)
      .send({ currency: 'NOK' })
      .expect(201);
    await t.http.post(`/v1/payout-runs/${draft.body.id}/cancel`).set(checker.auth).expect(200);
    const mine = await waitFor(async () => {
      const list = ofRun(await events(maker.auth.Authorization), draft.body.id);
      return list.length >= 2 && list;
    }, 'the events of the cancelled run');
    expect(mine.map((e) => e.type)).toEqual(['payout_run.created', 'payout_run.cancelled']);
  });
});
