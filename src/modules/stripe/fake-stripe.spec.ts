import Stripe from 'stripe';
import { FakeStripe, parseForm } from './fake-stripe.server';

describe('FakeStripe (the Stripe double the real SDK talks to)', () => {
  const fake = new FakeStripe();
  let stripe: Stripe;
  let destination: string;
  beforeAll(async () => {
    await fake.start();
    stripe = fake.client();
    destination = (await stripe.accounts.create({ type: 'express' })).id;
    fake.updateAccount(destination, { capabilities: { transfers: 'active' } });
  });
  afterAll(async () => {
    await fake.stop();
  });
  beforeEach(() => {
    fake.faults = { rate: 0 };
  });

  it('decodes Stripe form encoding into nested objects', () => {
    expect(parseForm('a=1&b[c]=2&b[d][e]=3&metadata[x]=y')).toEqual({
      a: '1',
      b: { c: '2', d: { e: '3' } },
      metadata: { x: 'y' },
    });
  });

  it('replays the same response for the same key and parameters', async () => {
    const params = { amount: 500, currency: 'eur', destination };
    const a = await stripe.transfers.create(params, { idempotencyKey: 'same-key' });
    const b = await stripe.transfers.create(params, { idempotencyKey: 'same-key' });
    expect(b.id).toBe(a.id);
    expect([...fake.transfers.values()].filter((t) => t.id === a.id)).toHaveLength(1);
  });

  it('refuses the same key with other parameters, as Stripe does', async () => {
    await stripe.transfers.create(
      { amount: 100, currency: 'eur', destination },
      { idempotencyKey: 'k-2' },
    );
    await expect(
      stripe.transfers.create(
        { amount: 101, currency: 'eur', destination },
        { idempotencyKey: 'k-2' },
      ),
    ).rejects.toMatchObject({ type: 'StripeIdempotencyError' });
  });

  it('injects 429/500 faults and records every request', async () => {
    fake.faults = { rate: 1, statuses: [429] };
    await expect(
      stripe.transfers.create(
        { amount: 100, currency: 'eur', destination },
        { idempotencyKey: 'k-3' },
      ),
    ).rejects.toMatchObject({ type: 'StripeRateLimitError' });
    fake.faults = { rate: 0 };
    // A 429 is not remembered against the key: the retry goes through.
    const ok = await stripe.transfers.create(
      { amount: 100, currency: 'eur', destination },
      { idempotencyKey: 'k-3' },
    );
    expect(ok.amount).toBe(100);
    const k3 = fake.requests.filter((r) => r.idempotencyKey === 'k-3').map((r) => r.status);
    expect(k3).toEqual([429, 200]);
  });

  it('refuses transfers to accounts without the transfers capability', async () => {
    const restricted = (await stripe.accounts.create({ type: 'express' })).id;
    await expect(
      stripe.transfers.create({ amount: 100, currency: 'eur', destination: restricted }),
    ).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'insufficient_capabilities_for_transfer',
    });
  });
});
