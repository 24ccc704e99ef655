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

  it('holds a rate limit: calls beyond it in one second get 429 rate_limit_error', async () => {
    fake.rateLimitPerSecond = 5;
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () => stripe.balance.retrieve()),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
      expect(
        results
          .filter((r) => r.status === 'rejected')
          .map((r) => (r.reason as Stripe.errors.StripeError).type),
      ).toEqual(['StripeRateLimitError', 'StripeRateLimitError', 'StripeRateLimitError']);
    } finally {
      fake.rateLimitPerSecond = null;
    }
  });

  it('completes onboarding on the hosted page and tells the Connect endpoint', async () => {
    const received: { type: string; account: string; signature: string }[] = [];
    const { createServer } = await import('node:http');
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const event = JSON.parse(body) as { type: string; account: string };
        received.push({ ...event, signature: String(req.headers['stripe-signature']) });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as { port: number }).port;
    fake.connectWebhook = { url: `http://127.0.0.1:${port}/hook`, secret: 'whsec_test' };
    try {
      const account = await stripe.accounts.create({ type: 'express' });
      const link = await stripe.accountLinks.create({
        account: account.id,
        type: 'account_onboarding',
        refresh_url: 'http://x/refresh',
        return_url: 'http://x/return',
      });
      // As Stripe does, the hosted page sends the browser back to the link's return_url.
      const page = await fetch(link.url, { redirect: 'manual' });
      expect(page.status).toBe(302);
      expect(page.headers.get('location')).toBe('http://x/return');
      expect((await stripe.accounts.retrieve(account.id)).payouts_enabled).toBe(true);
      expect(received).toEqual([
        expect.objectContaining({ type: 'account.updated', account: account.id }),
      ]);
      expect(received[0].signature).toMatch(/^t=\d+,v1=/);
    } finally {
      fake.connectWebhook = null;
      receiver.close();
    }
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

  it("restricts an account's transfers from its dashboard path, and lifts it", async () => {
    const account = (await stripe.accounts.create({ type: 'express' })).id;
    fake.updateAccount(account, { capabilities: { transfers: 'active' } });
    const base = `http://127.0.0.1:${fake.port}/_fake/accounts`;
    expect((await fetch(`${base}/${account}/transfers/inactive`, { method: 'POST' })).status).toBe(
      204,
    );
    await expect(
      stripe.transfers.create({ amount: 100, currency: 'eur', destination: account }),
    ).rejects.toMatchObject({ code: 'insufficient_capabilities_for_transfer' });
    await fetch(`${base}/${account}/transfers/active`, { method: 'POST' });
    await expect(
      stripe.transfers.create({ amount: 100, currency: 'eur', destination: account }),
    ).resolves.toMatchObject({ amount: 100 });
    expect((await fetch(`${base}/acct_none/transfers/active`, { method: 'POST' })).status).toBe(
      404,
    );
  });

  it('saves a card through Checkout in setup mode, tells the platform endpoint, and redirects', async () => {
    const customer = await stripe.customers.create({ name: 'Acme', metadata: { companyId: 'c1' } });
    const session = await stripe.checkout.sessions.create({
      mode: 'setup',
      customer: customer.id,
      allowed_payment_method_types: ['card'],
      success_url: 'http://console.test/company/billing?setup=done',
    });
    expect(session.status).toBe('open');
    const received: { type: string; object: { id: string } }[] = [];
    const { createServer } = await import('node:http');
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const event = JSON.parse(body);
        received.push({ type: event.type, object: event.data.object });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    fake.platformWebhook = {
      url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`,
      secret: 'whsec_platform',
    };
    try {
      const page = await fetch(session.url!, { redirect: 'manual' });
      expect(page.status).toBe(302);
      expect(page.headers.get('location')).toBe('http://console.test/company/billing?setup=done');
      expect(received).toEqual([
        { type: 'checkout.session.completed', object: expect.objectContaining({ id: session.id }) },
      ]);
      const done = await stripe.checkout.sessions.retrieve(session.id);
      const intent = await stripe.setupIntents.retrieve(done.setup_intent as string);
      const pm = await stripe.paymentMethods.retrieve(intent.payment_method as string);
      expect(pm.card).toMatchObject({ brand: 'visa', last4: '4242' });
      const updated = await stripe.customers.update(customer.id, {
        invoice_settings: { default_payment_method: pm.id },
      });
      expect(updated.invoice_settings.default_payment_method).toBe(pm.id);
      // A completed session's page does nothing more.
      expect((await fetch(session.url!, { redirect: 'manual' })).status).toBe(404);
    } finally {
      fake.platformWebhook = null;
      receiver.close();
    }
    await expect(
      stripe.checkout.sessions.create({
        mode: 'payment',
        customer: customer.id,
        success_url: 'http://x.test',
      }),
    ).rejects.toMatchObject({ param: 'mode' });
  });
});
