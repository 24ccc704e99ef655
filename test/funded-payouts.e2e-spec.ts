import type { FakeStripe } from '../src/modules/stripe/fake-stripe.server';
import { STRIPE_SETTINGS, type StripeSettings } from '../src/modules/stripe/stripe.module';
import { createStaff, registerAgent, type SignedIn } from './support/factories';
import { fund, onboarded } from './support/money';
import { createTestApp, type TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/**
 * Payouts funded by what came in (issue 18): a run shows the platform's Stripe balance beside
 * its total; executing it holds the lines the balance cannot cover (insufficient_platform_balance)
 * and pays the rest, once each; money paid in (an invoice) lets a later run pay the held ones.
 */
describe('payouts funded by the platform balance', () => {
  let t: TestApp;
  let fake: FakeStripe;
  let maker: SignedIn;
  let checker: SignedIn;
  beforeAll(async () => {
    t = await createTestApp({
      workers: true,
      env: { PAYOUT_MINIMUM_MINOR: '1000', OUTBOX_POLL_MS: '100', BILLING_SWEEP_MS: '3600000' },
    });
    fake = t.app.get<StripeSettings>(STRIPE_SETTINGS).fake!;
    // CHF has not moved yet: the platform starts with CHF 50.00.
    fake.startingBalanceMinor = 5000;
    maker = await createStaff(t, 'finance');
    checker = await createStaff(t, 'finance');
  });
  afterAll(async () => {
    await t.close();
  });

  const run = async (id: string) =>
    (await t.http.get(`/v1/payout-runs/${id}`).set(maker.auth).expect(200)).body;
  async function payRun(): Promise<string> {
    const draft = await t.http
      .post('/v1/payout-runs')
      .set(maker.auth)
      .send({ currency: 'CHF' })
      .expect(201);
    await t.http.post(`/v1/payout-runs/${draft.body.id}/approve`).set(checker.auth).expect(200);
    return draft.body.id;
  }
  const transfersTo = (account: string) =>
    fake.processed('POST', '/v1/transfers').filter((r) => r.params.destination === account);

  it('holds what the balance cannot cover, pays the rest once; a paid invoice funds the held line later', async () => {
    const amounts = [2000, 2500, 3000];
    const agents: { agent: SignedIn; account: string }[] = [];
    for (const amount of amounts) {
      const agent = await registerAgent(t);
      const account = await onboarded(t, fake, agent.id);
      await fund(t, agent.id, amount, 'CHF');
      agents.push({ agent, account });
    }

    const id = await payRun();
    const before = await run(id);
    expect(before.platformBalanceMinor).toBe(5000);
    expect(before.totals.payableMinor).toBe(7500);

    await t.http.post(`/v1/payout-runs/${id}/execute`).set(maker.auth).expect(202);
    const done = await waitFor(async () => {
      const r = await run(id);
      return r.status === 'completed' && r;
    }, 'the run to complete');
    expect(done.platformAvailableMinor).toBe(5000);
    expect(done.platformBalanceMinor).toBeNull();
    const byAgent = new Map(
      done.lines.map((l: { agentId: string }) => [l.agentId, l] as const),
    ) as Map<string, { status: string; heldReason: string | null; amountMinor: number }>;
    // Smallest first: CHF 20 and CHF 25 fit in CHF 50; CHF 30 does not.
    expect(amounts.map((_, i) => byAgent.get(agents[i].agent.id)!.status)).toEqual([
      'paid',
      'paid',
      'held',
    ]);
    expect(byAgent.get(agents[2].agent.id)!.heldReason).toBe('insufficient_platform_balance');
    expect(done.totals).toMatchObject({ paidLines: 2, paidMinor: 4500, heldLines: 1 });
    expect(agents.map((a) => transfersTo(a.account).length)).toEqual([1, 1, 0]);
    expect(fake.balanceOf('chf')).toBe(500);

    // A company pays a CHF 30 invoice: the balance grows, and the next run pays the held agent.
    const stripe = fake.client();
    const customer = await stripe.customers.create({ name: 'Payer AG' });
    fake.billing.paymentMethods.set('pm_chf_test', {
      id: 'pm_chf_test',
      object: 'payment_method',
      type: 'card',
      card: { brand: 'visa', last4: '4242' },
    });
    const invoice = await stripe.invoices.create({
      customer: customer.id,
      currency: 'chf',
      auto_advance: false,
      pending_invoice_items_behavior: 'exclude',
    });
    await stripe.invoiceItems.create({
      customer: customer.id,
      invoice: invoice.id,
      amount: 3000,
      currency: 'chf',
    });
    await stripe.invoices.finalizeInvoice(invoice.id!);
    await stripe.invoices.pay(invoice.id!, { payment_method: 'pm_chf_test' });
    expect(fake.balanceOf('chf')).toBe(3500);

    const second = await payRun();
    await t.http.post(`/v1/payout-runs/${second}/execute`).set(maker.auth).expect(202);
    const paid = await waitFor(async () => {
      const r = await run(second);
      return r.status === 'completed' && r;
    }, 'the second run to complete');
    expect(paid.lines).toEqual([
      expect.objectContaining({ agentId: agents[2].agent.id, status: 'paid', amountMinor: 3000 }),
    ]);
    expect(agents.map((a) => transfersTo(a.account).length)).toEqual([1, 1, 1]);
    expect(fake.balanceOf('chf')).toBe(500);
  });
});
