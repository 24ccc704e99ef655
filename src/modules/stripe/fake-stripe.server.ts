import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { type Answer, FakeStripeBilling, type StripeObject } from './fake-stripe-billing';
import { readCall, type RecordedRequest } from './fake-stripe-calls';
import { FakeStripeConnect } from './fake-stripe-connect';
import { FakeStripeDashboard } from './fake-stripe-dashboard';
import { type BillingEvent, type EmitOptions, FakeStripeEvents } from './fake-stripe-events';
import { type FailingBefore, type FaultPolicy, FakeStripeFaults } from './fake-stripe-faults';
import { FakeStripeHostedPages } from './fake-stripe-hosted-pages';
import { FakeStripeIdempotency } from './fake-stripe-idempotency';
import { FakeStripeInvoicing } from './fake-stripe-invoicing';
import { FakeStripeRefunds } from './fake-stripe-refunds';
import { FakeStripeTransfers } from './fake-stripe-transfers';

export { parseForm, type RecordedRequest } from './fake-stripe-calls';
export type { FaultPolicy } from './fake-stripe-faults';

/*
 * A small Stripe API double that the real `stripe` SDK talks to (host/port/protocol options):
 * Connect accounts, account links, transfers, transfer reversals, balance, and events sent to a
 * webhook URL signed like Stripe signs them. It honours Idempotency-Key as Stripe does (same
 * key + same params → the same response; other params → 400 idempotency_error), records every
 * request, and can answer a share of calls 429/500 or hang, to test retries. Used by tests and,
 * outside production without STRIPE_SECRET_KEY, by `npm start`.
 * FakeStripe holds what tests read and set, serves HTTP and keeps the state; a part per concern
 * does the rest (fake-stripe-*.ts: faults, idempotency, connect, transfers, events, billing,
 * invoicing, refunds, the hosted pages and the dashboard's controls).
 */

const unrecognized = (method: string, path: string): Answer => [
  404,
  {
    error: {
      type: 'invalid_request_error',
      message: `Unrecognized request URL (${method}: ${path})`,
    },
  },
];

export class FakeStripe {
  readonly requests: RecordedRequest[] = [];
  readonly accounts = new Map<string, StripeObject>();
  readonly transfers = new Map<string, StripeObject>();
  /** Accounts that left the platform (`deauthorize`). */
  readonly deauthorized = new Set<string>();
  faults: FaultPolicy = { rate: 0 };
  /**
   * Stripe's rate limit: at most this many API calls per second (a one-second sliding window),
   * beyond which it answers 429 rate_limit_error, as Stripe does (25/s test mode, 100/s live).
   */
  rateLimitPerSecond: number | null = null;
  /** Set when onboarding completes on the hosted page: a Connect `account.updated` goes here. */
  connectWebhook: { url: string; secret: string } | null = null;
  /** The platform's endpoint: billing events (checkout.session.completed, invoices) go here. */
  platformWebhook: { url: string; secret: string } | null = null;
  /**
   * Billing events as Stripe sent them (invoice.paid, invoice.payment_failed…), oldest first:
   * delivered to `platformWebhook` when set; tests without a listening API deliver them.
   */
  readonly billingEvents: BillingEvent[] = [];
  private readonly events = new FakeStripeEvents(this, this.billingEvents);
  private readonly connect = new FakeStripeConnect(
    this.accounts,
    this.deauthorized,
    () => `http://127.0.0.1:${this.port}`,
    this.events,
  );
  /** Transfers, their reversals and the platform's balance. */
  private readonly money = new FakeStripeTransfers(
    this.transfers,
    this.accounts,
    () => this.startingBalanceMinor,
  );
  /** Customers, Checkout, setup intents, payment methods. */
  readonly billing = new FakeStripeBilling(() => `http://127.0.0.1:${this.port}`);
  /** Invoice items, invoices, their charges and injectable card declines. */
  readonly invoicing = new FakeStripeInvoicing(
    this.billing,
    () => `http://127.0.0.1:${this.port}`,
    (type, object) => this.events.billing(type, object),
    (currency, amount) => this.money.credit(currency, amount),
  );
  readonly refunds = new FakeStripeRefunds(
    this.invoicing.charges,
    this.invoicing.paymentIntents,
    (type, object) => this.events.billing(type, object),
    (currency, amount) => this.money.credit(currency, amount),
  );
  /**
   * Calls that fail inside Stripe once its endpoint has begun, one entry per call (POSTs with an
   * idempotency key, by path): Stripe answers 500 and saves it under the key, replaying it with
   * `Stripe-Should-Retry: false` until the key is pruned. `created`: the object was made first.
   * (The injected `faults` stand for errors before the endpoint, which Stripe does not save.)
   */
  readonly failingAfterExecution: { path: string | RegExp; created: boolean }[] = [];
  /**
   * Calls answered with an error before they reach the endpoint, one entry per call (any
   * method, reads included; nothing saved under a key): a 500 the next try gets past, a 403 on
   * a list of an account's transfers…
   */
  readonly failingBefore: FailingBefore[] = [];
  private readonly idempotency = new FakeStripeIdempotency(this.failingAfterExecution);
  private readonly limits = new FakeStripeFaults(this);
  private readonly dashboard = new FakeStripeDashboard({
    connect: this.connect,
    billing: this.billing,
    invoicing: this.invoicing,
    refunds: this.refunds,
  });
  private readonly pages = new FakeStripeHostedPages({
    connect: this.connect,
    billing: this.billing,
    invoicing: this.invoicing,
    events: this.events,
  });
  private server: Server | null = null;
  /**
   * What the platform's balance holds in a currency before any money moved in it (npm start:
   * FAKE_STRIPE_BALANCE_MINOR): large by default, so payouts pay as if funded; a test of a
   * shortfall sets it low.
   */
  startingBalanceMinor = 1_000_000_000_000;
  port = 0;

  constructor(
    /** Where `emit()` sends events, and the secret it signs them with. */
    public webhook: { url: string; secret: string } | null = null,
  ) {}

  async start(port = 0): Promise<number> {
    this.server = createServer((req, res) => {
      void this.handle(req, res).finally(() => {
        if (req.method === 'POST' || req.url?.startsWith('/checkout/')) this.onChange?.();
        else if (req.url?.startsWith('/express/')) this.onChange?.();
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => {
        this.server!.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }

  /** An SDK client pointed at this server. */
  client(): Stripe {
    return new Stripe('sk_test_fake', {
      host: '127.0.0.1',
      port: this.port,
      protocol: 'http',
      maxNetworkRetries: 0,
    });
  }

  /** Stripe prunes keys at least 24 h old: a key sent again after that is a new request. */
  expireIdempotencyKeys(): void {
    this.idempotency.expire();
  }

  /** Money-moving requests that Stripe processed (not faulted), e.g. transfers. */
  processed(method: string, path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path === path && r.status < 300);
  }

  /**
   * The account leaves the platform (its owner disconnects it): every call about it answers 403
   * account_invalid from then on, and `account.application.deauthorized` goes to the Connect
   * endpoint when one is set.
   */
  deauthorize(accountId: string): Promise<void> {
    return this.connect.deauthorize(accountId);
  }

  /** Changes what Stripe knows about an account (as the onboarding flow would). */
  updateAccount(accountId: string, changes: Record<string, unknown>): StripeObject {
    return this.connect.updateAccount(accountId, changes);
  }

  /**
   * Called after each request that may have changed the fake's state (any POST, the hosted
   * pages): `npm start` saves the state then, so a restart keeps accounts, customers, cards,
   * invoices and the balance (StripeModule).
   */
  onChange: (() => void) | null = null;
  /** Saves a change not saved yet (before the process stops). */
  flush: (() => Promise<void>) | null = null;

  /** Everything the fake holds, as JSON. */
  exportState(): Record<string, unknown> {
    return {
      port: this.port,
      accounts: [...this.accounts],
      transfers: [...this.transfers],
      deauthorized: [...this.deauthorized],
      linkReturns: [...this.connect.linkReturns],
      idempotency: [...this.idempotency.answers],
      availableBalance: [...this.money.availableBalance],
      billingEvents: this.billingEvents,
      billing: this.billing.exportState(),
      invoicing: this.invoicing.exportState(),
      refunds: [...this.refunds.refunds],
    };
  }

  /** Takes back what exportState gave (before start: the port is reused when free). */
  importState(state: Record<string, unknown>): void {
    const entries = (key: string) => (state[key] ?? []) as [string, never][];
    for (const [k, v] of entries('accounts')) this.accounts.set(k, v);
    for (const [k, v] of entries('transfers')) this.transfers.set(k, v);
    for (const k of (state.deauthorized ?? []) as string[]) this.deauthorized.add(k);
    for (const [k, v] of entries('linkReturns')) this.connect.linkReturns.set(k, v);
    for (const [k, v] of entries('idempotency')) this.idempotency.answers.set(k, v);
    for (const [k, v] of entries('availableBalance')) this.money.availableBalance.set(k, v);
    this.billingEvents.push(...((state.billingEvents ?? []) as never[]));
    this.billing.importState((state.billing ?? {}) as never);
    this.invoicing.importState((state.invoicing ?? {}) as Record<string, unknown>);
    for (const [k, v] of entries('refunds')) this.refunds.refunds.set(k, v);
    this.port = Number(state.port ?? 0);
  }

  /** The platform's available balance in a currency (minor units). */
  balanceOf(currency: string): number {
    return this.money.balanceOf(currency);
  }

  /** Sends a signed event to the webhook URL; returns the HTTP status of the receiver. */
  emit(
    type: string,
    object: Record<string, unknown>,
    options: EmitOptions = {},
  ): Promise<{ status: number; event: Record<string, unknown> }> {
    return this.events.emit(type, object, options);
  }

  /**
   * One call: the fake's own controls and hosted pages first; then, for Stripe's API, the
   * faults a test set, the Idempotency-Key layer (POSTs with a key) and the endpoint.
   */
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const call = await readCall(req, res, this.requests);
    if ((await this.dashboard.serve(call)) || (await this.pages.serve(call))) return;
    if (await this.limits.refused(call)) return;
    const route = () => this.route(call.method, call.path, call.params);
    if (call.key && call.method === 'POST') this.idempotency.answer(call, call.key, route);
    else call.send(...route());
  }

  /** The endpoint: the first part that knows the path answers it. */
  private route(method: string, path: string, p: Record<string, unknown>): Answer {
    return (
      this.billing.route(method, path, p) ??
      this.invoicing.route(method, path, p) ??
      this.refunds.route(method, path, p) ??
      this.connect.route(method, path, p) ??
      this.money.route(method, path, p) ??
      this.events.route(method, path, p) ??
      unrecognized(method, path)
    );
  }
}
