import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { BillingCustomersRepository } from '../src/modules/billing/billing-customers.repository';
import { BillingService } from '../src/modules/billing/billing.service';
import { LedgerService } from '../src/modules/ledger/ledger.service';
import { OutboxService } from '../src/modules/outbox/outbox.service';
import { StripeEventsRepository } from '../src/modules/payouts/stripe-events.repository';
import { FakeStripe } from '../src/modules/stripe/fake-stripe.server';
import { StripePacer } from '../src/modules/stripe/stripe-pacer.service';
import { STRIPE_SETTINGS, StripeSettings } from '../src/modules/stripe/stripe.module';
import { registerCompany, SignedIn } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/**
 * A company's billing (issue 18, first part): its Stripe Customer made once, a card saved
 * through Stripe Checkout in setup mode (the card reaches us as `checkout.session.completed`),
 * and what it owes.
 */
describe('billing: customer, card, outstanding', () => {
  let t: TestApp;
  let fake: FakeStripe;
  let settings: StripeSettings;
  beforeAll(async () => {
    t = await createTestApp({ workers: true, env: { OUTBOX_POLL_MS: '100' } });
    settings = t.app.get<StripeSettings>(STRIPE_SETTINGS);
    fake = settings.fake!;
    // The test delivers Stripe's events itself (the app listens on no port here).
    fake.platformWebhook = null;
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(() => {
    fake.faults = { rate: 0 };
  });

  const billing = async (company: SignedIn) =>
    (await t.http.get('/v1/companies/me/billing').set(company.auth).expect(200)).body;
  const setup = (company: SignedIn, key = randomUUID()) =>
    t.http.post('/v1/companies/me/billing/setup').set(company.auth).set('Idempotency-Key', key);
  const customersOf = (companyId: string) =>
    [...fake.billing.customers.values()].filter(
      (c) => (c.metadata as Record<string, string>).companyId === companyId,
    );
  /** Stripe's checkout.session.completed for a session, signed, at `created`. */
  const completed = (sessionId: string, created = Math.floor(Date.now() / 1000)) => {
    const payload = JSON.stringify({
      id: `evt_${randomUUID()}`,
      object: 'event',
      type: 'checkout.session.completed',
      created,
      data: { object: fake.billing.checkoutSessions.get(sessionId) },
    });
    const header = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: settings.webhookSecret,
    });
    return t.http
      .post('/v1/stripe/webhooks')
      .set('Content-Type', 'application/json')
      .set('Stripe-Signature', header)
      .send(payload)
      .expect(200);
  };
  const sessionIdOf = (url: string) => url.split('/').pop()!;

  it('starts with no customer, no card, nothing outstanding, weekly in UTC', async () => {
    const company = await registerCompany(t, 'Fresh');
    expect(await billing(company)).toEqual({
      stripeCustomerId: null,
      paymentMethod: null,
      billingPeriod: 'weekly',
      billingEmail: null,
      timeZone: 'UTC',
      outstanding: [],
      writtenOff: [],
      credit: {
        creditLimitMinor: 500000,
        ownCreditLimits: [],
        creditLimits: [],
        owed: [],
        hold: null,
        liftEndsAt: null,
        liftReason: null,
        blocked: false,
      },
    });
  });

  // Invoices and Stripe's payment emails go to the customer's email: a billing email changed
  // after the customer existed stayed at Stripe (the old address kept getting the invoices).
  it('gives the Stripe customer a new name or billing email, and the admin’s when it is cleared', async () => {
    const company = await registerCompany(t, 'Acme Old');
    await t.http
      .patch('/v1/companies/me')
      .set(company.auth)
      .send({ billingEmail: 'old@acme.test' })
      .expect(200);
    await setup(company).expect(201);
    const customer = () => customersOf(company.companyId!)[0];
    expect(customer()).toMatchObject({ name: 'Acme Old', email: 'old@acme.test' });
    await t.http
      .patch('/v1/companies/me')
      .set(company.auth)
      .send({ billingEmail: 'ap@acme.test', name: 'Acme Ltd' })
      .expect(200);
    await waitFor(
      async () => customer().email === 'ap@acme.test' && customer().name === 'Acme Ltd',
      'the customer to follow the settings',
      5000,
    );
    // Cleared: invoices go to the admin again.
    await t.http
      .patch('/v1/companies/me')
      .set(company.auth)
      .send({ billingEmail: null })
      .expect(200);
    await waitFor(
      async () => customer().email === company.email,
      'the admin’s email at Stripe',
      5000,
    );
    // A time zone or period changes nothing at Stripe, and no job is written for it; nor for a
    // name and billing email sent as they are (a settings form saves every field).
    const syncJobs = async () =>
      (
        await t.db.query(
          `SELECT count(*)::int AS n FROM outbox WHERE job_name = 'billing.customer-sync'
              AND payload ->> 'companyId' = $1`,
          [company.companyId],
        )
      )[0].n;
    const jobs = await syncJobs();
    const before = fake.requests.length;
    await t.http.patch('/v1/companies/me').set(company.auth).send({ timeZone: 'Europe/Paris' });
    await t.http
      .patch('/v1/companies/me')
      .set(company.auth)
      .send({ name: ' Acme Ltd ', billingEmail: null, billingPeriod: 'monthly' })
      .expect(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(fake.requests.slice(before).filter((r) => r.path.startsWith('/v1/customers'))).toEqual(
      [],
    );
    expect(await syncJobs()).toBe(jobs);
  });

  // A refusal (the customer deleted in Stripe's dashboard) was retried for some 18 hours.
  it('completes the sync once when Stripe refuses it, leaving the customer as it was', async () => {
    const company = await registerCompany(t, 'Gone At Stripe');
    await setup(company).expect(201);
    const [customer] = customersOf(company.companyId!);
    fake.billing.customers.delete(customer.id as string);
    await t.http.patch('/v1/companies/me').set(company.auth).send({ name: 'Renamed' }).expect(200);
    const syncs = () =>
      t.db.query(
        `SELECT finished_at FROM outbox WHERE job_name = 'billing.customer-sync'
            AND payload ->> 'companyId' = $1 ORDER BY id DESC LIMIT 1`,
        [company.companyId],
      );
    await waitFor(
      async () => (await syncs())[0]?.finished_at != null,
      'the sync job to finish without retrying',
      5000,
    );
  });

  // The customer's row and its sync job were two statements on their own: a row kept while
  // its job was lost was found by every later setup, and the sync never written.
  it('keeps a new customer and its sync together: a setup that failed between them leaves neither, and its retry writes both', async () => {
    const company = await registerCompany(t, 'Half Kept');
    const outbox = t.app.get(OutboxService);
    const enqueue = outbox.enqueue.bind(outbox);
    const spy = jest.spyOn(outbox, 'enqueue').mockImplementation(async (em, name, ...rest) => {
      if (name === 'billing.customer-sync') throw new Error('Connection terminated unexpectedly');
      return enqueue(em, name, ...rest);
    });
    const key = randomUUID();
    try {
      await setup(company, key).expect(503);
    } finally {
      spy.mockRestore();
    }
    const kept = () =>
      t.db.query(
        `SELECT (SELECT count(*)::int FROM billing_customers WHERE company_id = $1) AS rows,
                (SELECT count(*)::int FROM outbox WHERE job_name = 'billing.customer-sync'
                    AND payload ->> 'companyId' = $1::text) AS jobs`,
        [company.companyId],
      );
    expect(await kept()).toEqual([{ rows: 0, jobs: 0 }]);
    // Nothing of the request's own was saved: its key is free, and the retry does it all.
    await setup(company, key).expect(201);
    expect(await kept()).toEqual([{ rows: 1, jobs: 1 }]);
    expect(customersOf(company.companyId!)).toHaveLength(1);
  });

  it('makes one Stripe customer however many setups, even at once, each with a Checkout link back to the console', async () => {
    const company = await registerCompany(t, 'Acme');
    await t.http
      .patch('/v1/companies/me')
      .set(company.auth)
      .send({ billingEmail: 'billing@acme.test' })
      .expect(200);
    const answers = await Promise.all(Array.from({ length: 5 }, () => setup(company)));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
    const customers = customersOf(company.companyId!);
    expect(customers).toHaveLength(1);
    expect(customers[0]).toMatchObject({ name: 'Acme', email: 'billing@acme.test' });
    const creates = fake.requests.filter(
      (r) =>
        r.path === '/v1/customers' && r.idempotencyKey === `company-customer-${company.companyId}`,
    );
    expect(creates.length).toBeGreaterThanOrEqual(1);
    expect((await billing(company)).stripeCustomerId).toBe(customers[0].id);
    const session = fake.billing.checkoutSessions.get(sessionIdOf(answers[0].body.url))!;
    const base = t.env.PUBLIC_URL;
    // `since`: the second the setup began, so the console waits for a card saved from then on.
    const since = Number(/[?&]since=(\d+)$/.exec(String(session.success_url))?.[1]);
    expect(Math.abs(since - Date.now() / 1000)).toBeLessThan(60);
    expect(session).toMatchObject({
      mode: 'setup',
      customer: customers[0].id,
      success_url: `${base}/company/billing?setup=done&since=${since}`,
      cancel_url: `${base}/company/billing?setup=cancelled`,
    });
    expect(Date.parse(answers[0].body.expiresAt)).toBeGreaterThan(Date.now());
  });

  it('gets the same Stripe customer for the first invoice when the setup that made it lost its answer', async () => {
    const company = await registerCompany(t, 'Lost Answer GmbH');
    // Stripe made the customer, then storing it here failed: the admin's setup answers 5xx.
    const rows = t.app.get(BillingCustomersRepository);
    const store = jest.spyOn(rows, 'insertIfAbsent').mockRejectedValueOnce(new Error('lost'));
    try {
      expect((await setup(company)).status).toBe(500);
    } finally {
      store.mockRestore();
    }
    // The first invoice's job asks with no admin (so no admin's email): the same customer.
    const made = await t.app.get(BillingService).ensureCustomer(company.companyId!, null);
    const customers = customersOf(company.companyId!);
    expect(customers).toHaveLength(1);
    expect(made.stripe_customer_id).toBe(customers[0].id);
    expect(customers[0]).toMatchObject({ name: 'Lost Answer GmbH', email: company.email });
  });

  it('answers a repeat with the same Idempotency-Key with the same session', async () => {
    const company = await registerCompany(t, 'Repeat');
    const key = randomUUID();
    const first = await setup(company, key).expect(201);
    const again = await setup(company, key).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.url).toBe(first.body.url);
  });

  it('saves the card from checkout.session.completed, as Stripe default too; a replayed or older event changes nothing', async () => {
    const company = await registerCompany(t, 'Initech');
    const first = sessionIdOf((await setup(company).expect(201)).body.url);
    // The customer's browser on Stripe's hosted page, then back to the console.
    const hosted = await fetch(fake.billing.checkoutSessions.get(first)!.url as string, {
      redirect: 'manual',
    });
    expect(hosted.status).toBe(302);
    expect(hosted.headers.get('location')).toMatch(
      new RegExp(`^${t.env.PUBLIC_URL}/company/billing\\?setup=done&since=\\d+$`),
    );
    const at = Math.floor(Date.now() / 1000);
    await completed(first, at);
    const saved = await waitFor(
      async () => (await billing(company)).paymentMethod,
      'the card to be saved',
    );
    // Saved at the event's time (a console back from Checkout waits for a card this recent).
    expect(saved).toMatchObject({
      brand: 'visa',
      last4: '4242',
      expMonth: 12,
      savedAt: new Date(at * 1000).toISOString(),
    });
    const customerId = (await billing(company)).stripeCustomerId;
    const intent = fake.billing.setupIntents.get(
      fake.billing.checkoutSessions.get(first)!.setup_intent as string,
    )!;
    expect(fake.billing.customers.get(customerId)!.invoice_settings).toEqual({
      default_payment_method: intent.payment_method,
    });

    // A second card, then the first session's event again but older: the newer card stays.
    const second = sessionIdOf((await setup(company).expect(201)).body.url);
    fake.billing.completeSetup(second, { brand: 'mastercard', last4: '4444' });
    await completed(second, at + 60);
    await waitFor(
      async () => (await billing(company)).paymentMethod?.brand === 'mastercard',
      'the second card',
    );
    await completed(first, at + 30);
    await waitFor(
      async () =>
        (
          await t.db.query(
            `SELECT count(*)::int AS n FROM stripe_events
              WHERE payload->>'type' = 'checkout.session.completed' AND processed_at IS NULL`,
          )
        )[0].n === 0,
      'every event applied',
    );
    expect((await billing(company)).paymentMethod).toMatchObject({
      brand: 'mastercard',
      last4: '4444',
    });
  });

  it("takes the turn of an event's first Stripe call in the pace before it locks the event", async () => {
    const company = await registerCompany(t, 'Paced Co');
    const session = sessionIdOf((await setup(company).expect(201)).body.url);
    fake.billing.completeSetup(session);
    await waitFor(
      async () =>
        (await t.db.query('SELECT count(*)::int AS n FROM outbox WHERE finished_at IS NULL'))[0]
          .n === 0,
      "the setup's own jobs done",
    );
    // The event is applied under its row's lock; a call waiting its turn there would hold the
    // lock and a pooled connection. Its first call (the setup intent) takes its turn first; the
    // other two (payment method, default) take theirs as they are made, not ahead, which would
    // put them over the rate (StripePacer.prepaid).
    const order: string[] = [];
    const pacer = t.app.get(StripePacer);
    const slot = pacer.slot.bind(pacer);
    jest.spyOn(pacer, 'slot').mockImplementation(() => {
      order.push('slot');
      return slot();
    });
    const events = t.app.get(StripeEventsRepository);
    const lock = events.lock.bind(events);
    jest.spyOn(events, 'lock').mockImplementation((em, id) => {
      order.push('lock');
      return lock(em, id);
    });
    const requests = fake.requests.length;
    try {
      await completed(session);
      await waitFor(async () => (await billing(company)).paymentMethod, 'the card to be saved');
    } finally {
      jest.restoreAllMocks();
    }
    expect(fake.requests.length - requests).toBe(3);
    expect(order).toEqual(['slot', 'lock', 'slot', 'slot']);
  });

  it('shows what is owed per currency from the ledger, and nothing of another company', async () => {
    const company = await registerCompany(t, 'Owes');
    const other = await registerCompany(t, 'Other');
    await t.db.transaction((em) =>
      t.app.get(LedgerService).post(em, {
        kind: 'adjustment',
        idempotencyKey: `test-receivable:${randomUUID()}`,
        currency: 'EUR',
        agentId: null,
        memo: 'test receivable',
        lines: [
          { account: 'company_receivable', ownerId: company.companyId, amountMinor: 288 },
          { account: 'platform_fees', ownerId: null, amountMinor: -288 },
        ],
      }),
    );
    expect((await billing(company)).outstanding).toEqual([{ currency: 'EUR', amountMinor: 288 }]);
    expect((await billing(other)).outstanding).toEqual([]);
  });

  it('makes the customer under a key of its own when Stripe saved a server error under the company’s', async () => {
    const company = await registerCompany(t, 'Saved Error Srl');
    // The first call made a customer and failed after: Stripe replays its 500 for a day.
    fake.failingAfterExecution.push({ path: '/v1/customers', created: true });
    await setup(company).expect(201);
    const stored = (await billing(company)).stripeCustomerId;
    expect(stored).not.toBeNull();
    // The customer stored is the one that answered; the failed call's one stays unused.
    expect(customersOf(company.companyId!).map((c) => c.id)).toContain(stored);
    expect(customersOf(company.companyId!)).toHaveLength(2);
    await setup(company).expect(201);
    expect((await billing(company)).stripeCustomerId).toBe(stored);
  });

  it('answers 503 when Stripe is down, storing no customer', async () => {
    const company = await registerCompany(t, 'Unlucky');
    fake.faults = { rate: 1, statuses: [500] };
    const res = await setup(company).expect(503);
    expect(res.body.error.code).toBe('SERVICE_UNAVAILABLE');
    fake.faults = { rate: 0 };
    expect((await billing(company)).stripeCustomerId).toBeNull();
  });
});
