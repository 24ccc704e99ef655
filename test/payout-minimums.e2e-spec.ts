import { FakeStripe } from '../src/modules/stripe/fake-stripe.server';
import { registerAgent, SignedIn } from './support/factories';
import { fund, onboarded, payoutsApp } from './support/money';
import { TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/**
 * A minor unit is worth very different money across currencies (an öre, a cent, a yen): the
 * payout minimum and the adjustment approval threshold can be set per currency, and a run keeps
 * the minimum it was drafted and approved with.
 */
describe('amounts per currency', () => {
  let t: TestApp;
  let fake: FakeStripe;
  let maker: SignedIn;
  let checker: SignedIn;

  beforeAll(async () => {
    ({ t, fake, maker, checker } = await payoutsApp({
      PAYOUT_MINIMUM_MINOR_BY_CURRENCY: 'SEK=10000, JPY=1500',
      ADJUSTMENT_APPROVAL_MINOR: '10000',
      ADJUSTMENT_APPROVAL_MINOR_BY_CURRENCY: 'SEK=100000',
    }));
  });
  afterAll(() => t.close());

  interface Line {
    agentId: string;
    status: string;
    heldReason: string | null;
  }
  const draft = async (currency: string) => {
    const res = await t.http.post('/v1/payout-runs').set(maker.auth).send({ currency }).expect(201);
    return res.body as { id: string; minimumMinor: number; lines: Line[] };
  };

  it("holds lines under their currency's own minimum, and shows each run's", async () => {
    const agent = await registerAgent(t);
    await onboarded(t, fake, agent.id);
    await fund(t, agent.id, 5000, 'SEK');
    await fund(t, agent.id, 5000, 'EUR');

    const sek = await draft('SEK');
    expect(sek.minimumMinor).toBe(10000);
    expect(sek.lines.find((l) => l.agentId === agent.id)).toMatchObject({
      status: 'held',
      heldReason: 'below_minimum',
    });
    const eur = await draft('EUR');
    expect(eur.minimumMinor).toBe(1000);
    expect(eur.lines.find((l) => l.agentId === agent.id)).toMatchObject({
      status: 'pending',
      heldReason: null,
    });
    for (const run of [sek, eur]) {
      await t.http.post(`/v1/payout-runs/${run.id}/cancel`).set(maker.auth).expect(200);
    }
  });

  it('sends a line under the minimum its run was approved with, not the configured one', async () => {
    const agent = await registerAgent(t);
    await onboarded(t, fake, agent.id);
    await fund(t, agent.id, 1200, 'JPY');
    const run = await draft('JPY');
    expect(run.minimumMinor).toBe(1500);
    expect(run.lines.find((l) => l.agentId === agent.id)!.status).toBe('held');
    await t.http.post(`/v1/payout-runs/${run.id}/cancel`).set(maker.auth).expect(200);

    // A run drafted under a higher minimum (the configuration was lowered since): its line is
    // held under that one, as approved, though the configuration would pay it.
    await fund(t, agent.id, 300, 'JPY');
    const next = await draft('JPY');
    await t.db.query('UPDATE payout_runs SET minimum_minor = 2000 WHERE id = $1', [next.id]);
    await t.http.post(`/v1/payout-runs/${next.id}/approve`).set(checker.auth).expect(200);
    await t.http.post(`/v1/payout-runs/${next.id}/execute`).set(maker.auth).expect(202);
    const lines = await waitFor<Line[]>(async () => {
      const res = await t.http.get(`/v1/payout-runs/${next.id}`).set(maker.auth).expect(200);
      return (res.body.status as string).startsWith('completed') && (res.body.lines as Line[]);
    }, 'the run to complete');
    expect(lines.find((l) => l.agentId === agent.id)).toMatchObject({
      status: 'held',
      heldReason: 'balance_changed',
    });
  });

  it("waits for a second finance user above the currency's own approval threshold", async () => {
    const agent = await registerAgent(t);
    const adjust = (currency: string, amountMinor: number) =>
      t.http
        .post('/v1/ledger/adjustments')
        .set(maker.auth)
        .send({
          reference: `adj-${currency}-${agent.id}`,
          agentId: agent.id,
          amountMinor,
          currency,
          reason: 'goodwill',
        })
        .expect(201);
    // 500 kr is below SEK's 1,000 kr; €500 is above the default €100.
    expect((await adjust('SEK', 50000)).body.status).toBe('posted');
    expect((await adjust('EUR', 50000)).body.status).toBe('pending');
  });
});
