import type { Job } from 'bullmq';
import Stripe from 'stripe';
import { JobDispatcher } from '../../src/modules/jobs/job-dispatcher.service';
import type { JobName } from '../../src/modules/jobs/job-registry';
import type { FakeStripe } from '../../src/modules/stripe/fake-stripe.server';
import { STRIPE_SETTINGS, type StripeSettings } from '../../src/modules/stripe/stripe.module';
import type { SignedIn } from './factories';
import type { TestApp } from './test-app';
import { resolvedTicket } from './tickets';

/**
 * Runs the outbox's unfinished jobs of these names as a worker would (oldest first, again
 * while they enqueue more), marking each finished. For apps without workers.
 */
export async function runJobs(t: TestApp, names: JobName[]): Promise<number> {
  const dispatcher = t.app.get(JobDispatcher);
  let ran = 0;
  for (;;) {
    const rows: { id: string; job_name: string; payload: unknown }[] = await t.db.query(
      `SELECT id, job_name, payload FROM outbox
        WHERE finished_at IS NULL AND job_name = ANY($1) AND run_at <= now() ORDER BY id`,
      [names],
    );
    if (rows.length === 0) return ran;
    for (const row of rows) {
      await dispatcher.dispatch({
        id: `outbox-${row.id}`,
        name: row.job_name,
        data: row.payload,
      } as Job);
      await t.db.query(
        `UPDATE outbox SET sent_at = coalesce(sent_at, now()), finished_at = now() WHERE id = $1`,
        [row.id],
      );
      ran += 1;
    }
  }
}

/**
 * Signs a Stripe event for the platform endpoint, or for the Connect one when it is about a
 * connected `account`, and posts it (200 expected).
 */
export async function postStripeEvent(
  t: TestApp,
  event: {
    id: string;
    type: string;
    created: number;
    object: unknown;
    account?: string;
    livemode?: boolean;
  },
): Promise<{ received: boolean; duplicate: boolean; ignored: boolean }> {
  const settings = t.app.get<StripeSettings>(STRIPE_SETTINGS);
  const payload = JSON.stringify({
    id: event.id,
    object: 'event',
    type: event.type,
    created: event.created,
    ...(event.account ? { account: event.account } : {}),
    ...(event.livemode !== undefined ? { livemode: event.livemode } : {}),
    data: { object: event.object },
  });
  const header = Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: event.account ? settings.connectWebhookSecret : settings.webhookSecret,
  });
  const res = await t.http
    .post(event.account ? '/v1/stripe/connect-webhooks' : '/v1/stripe/webhooks')
    .set('Content-Type', 'application/json')
    .set('Stripe-Signature', header)
    .send(payload)
    .expect(200);
  return res.body;
}

/** Delivers the fake's billing events sent since `from` (an index), then applies them. */
export async function deliverBillingEvents(
  t: TestApp,
  fake: FakeStripe,
  from: number,
): Promise<number> {
  const events = fake.billingEvents.slice(from);
  for (const event of events) await postStripeEvent(t, event);
  await runJobs(t, ['stripe.event', 'billing.invoice-pay']);
  return fake.billingEvents.length;
}

/**
 * The company saves a card on the fake's Checkout page (optionally one that declines), and
 * Stripe's checkout.session.completed is applied. Returns the payment method's id.
 */
export async function saveCard(
  t: TestApp,
  fake: FakeStripe,
  company: SignedIn,
  decline?: 'card_declined' | 'insufficient_funds',
): Promise<string> {
  const setup = await t.http
    .post('/v1/companies/me/billing/setup')
    .set(company.auth)
    .set('Idempotency-Key', `setup-${Date.now()}-${Math.random()}`)
    .expect(201);
  const sessionId = String(setup.body.url).split('/').pop()!;
  const session = fake.billing.completeSetup(sessionId)!;
  const intent = fake.billing.setupIntents.get(String(session.setup_intent))!;
  const pm = String(intent.payment_method);
  if (decline) fake.invoicing.declines.set(pm, decline);
  await postStripeEvent(t, {
    id: `evt_card_${pm}`,
    type: 'checkout.session.completed',
    created: Math.floor(Date.now() / 1000),
    object: session,
  });
  await runJobs(t, ['stripe.event']);
  return pm;
}

/**
 * `count` tickets escalated by the company's bot, claimed and resolved by the agent, and booked
 * by the ledger. Returns the tickets' ids.
 */
export async function resolveTickets(
  t: TestApp,
  botKey: string,
  agent: SignedIn,
  count: number,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await resolvedTicket(t, botKey, agent)).id);
  await runJobs(t, ['ledger.ticket-event']);
  return ids;
}

/**
 * Moves the ledger's bookings for these tickets (of one kind) to another instant, as if the
 * ledger had booked them then: tests of period boundaries cannot wait a week. The journal is
 * append-only (triggers), so this runs with triggers off, in the test's database only.
 */
export async function backdate(
  t: TestApp,
  ticketIds: string[],
  kind: 'earning' | 'earning_reversal',
  at: Date,
): Promise<void> {
  await t.db.transaction(async (em) => {
    await em.query(`SET LOCAL session_replication_role = replica`);
    await em.query(
      `UPDATE journal_entries SET created_at = $3 WHERE ticket_id = ANY($1) AND kind = $2`,
      [ticketIds, kind, at],
    );
  });
}
