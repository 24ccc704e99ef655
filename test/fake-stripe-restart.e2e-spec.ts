import { STRIPE_SETTINGS, type StripeSettings } from '../src/modules/stripe/stripe.module';
import { createTestApp, type TestApp } from './support/test-app';

/**
 * The in-process fake Stripe (no STRIPE_SECRET_KEY) keeps its state in the database: after a
 * restart an onboarded agent's Connect account can still be paid, a company's card still
 * charged, and the balance is what it was.
 */
describe('the fake Stripe across a restart', () => {
  let first: TestApp;
  let second: TestApp | null = null;
  beforeAll(async () => {
    first = await createTestApp();
  });
  afterAll(async () => {
    await second?.close();
    await first.close();
  });

  it('keeps accounts, customers, cards and the balance', async () => {
    const fake = first.app.get<StripeSettings>(STRIPE_SETTINGS).fake!;
    const stripe = fake.client();
    const account = await stripe.accounts.create({ type: 'express' });
    fake.updateAccount(account.id, { capabilities: { transfers: 'active' } });
    const transfer = await stripe.transfers.create(
      { amount: 1200, currency: 'eur', destination: account.id },
      { idempotencyKey: 'before-restart' },
    );
    const customer = await stripe.customers.create({ name: 'Kept GmbH' });
    const balance = fake.balanceOf('eur');
    await fake.flush!();

    // A second process on the same database: a restarted `npm start`.
    second = await createTestApp({ shareWith: first });
    const after = second.app.get<StripeSettings>(STRIPE_SETTINGS).fake!;
    expect(after).not.toBe(fake);
    expect(after.accounts.get(account.id)).toMatchObject({ capabilities: { transfers: 'active' } });
    expect(after.billing.customers.get(customer.id)).toMatchObject({ name: 'Kept GmbH' });
    expect(after.balanceOf('eur')).toBe(balance);
    const client = after.client();
    // Stripe's idempotency holds across it too: the same key hands back the same transfer.
    const again = await client.transfers.create(
      { amount: 1200, currency: 'eur', destination: account.id },
      { idempotencyKey: 'before-restart' },
    );
    expect(again.id).toBe(transfer.id);
    const paid = await client.transfers.create({
      amount: 300,
      currency: 'eur',
      destination: account.id,
    });
    expect(paid.destination).toBe(account.id);
    expect(after.balanceOf('eur')).toBe(balance - 300);
  });
});
