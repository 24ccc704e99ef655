import { createHash, randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { FakeStripeBilling, notFound, type StripeObject } from './fake-stripe-billing';
import {
  DECLINE_CODES,
  type DeclineCode,
  FakeStripeInvoicing,
  withoutPaidOffStripe,
} from './fake-stripe-invoicing';
import { FakeStripeRefunds } from './fake-stripe-refunds';

/*
 * A small Stripe API double that the real `stripe` SDK talks to (host/port/protocol options):
 * Connect accounts, account links, transfers, transfer reversals, balance, and events sent to a
 * webhook URL signed like Stripe signs them. It honours Idempotency-Key as Stripe does (same
 * key + same params → the same response; other params → 400 idempotency_error), records every
 * request, and can answer a share of calls 429/500 or hang, to test retries. Used by tests and,
 * outside production without STRIPE_SECRET_KEY, by `npm start`.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  idempotencyKey: string | null;
  params: Record<string, unknown>;
  status: number;
}

export interface FaultPolicy {
  /** Share of money-moving POSTs (0–1) answered with an error instead of being processed. */
  rate: number;
  statuses?: number[];
  /** Hang this long instead (ms) on a faulted call, to exercise client timeouts. */
  hangMs?: number;
  /** Delay every call by this long (ms): a slow Stripe, without failing. */
  latencyMs?: number;
}

const id = (prefix: string) => `${prefix}_${randomBytes(10).toString('hex')}`;

/**
 * Currencies the fake platform balance lists before money moved in them (at its starting
 * balance): what a platform settling in many currencies would hold.
 */
const FUNDED_CURRENCIES = [
  'aud',
  'bgn',
  'brl',
  'cad',
  'chf',
  'czk',
  'dkk',
  'eur',
  'gbp',
  'hkd',
  'huf',
  'inr',
  'jpy',
  'mxn',
  'nok',
  'nzd',
  'pln',
  'ron',
  'sek',
  'sgd',
  'thb',
  'usd',
];

/** Stripe's form encoding (`a[b][c]=v`, `a[0]=v`) back to nested objects. */
export function parseForm(body: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const parts = rawKey.split(/\[|\]\[|\]/).filter((p) => p !== '');
    let node = out as Record<string, unknown>;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) node[part] = value;
      else node = (node[part] ??= {}) as Record<string, unknown>;
    });
  }
  return out;
}

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
  private recentCalls: number[] = [];
  /** Injected faults so far: their statuses take turns, so a drill meets every one it lists. */
  private injected = 0;
  /** Each onboarding link's return_url (by the link's last path segment), for the redirect. */
  private readonly linkReturns = new Map<string, string>();
  /** Set when onboarding completes on the hosted page: a Connect `account.updated` goes here. */
  connectWebhook: { url: string; secret: string } | null = null;
  /** The platform's endpoint: billing events (checkout.session.completed, invoices) go here. */
  platformWebhook: { url: string; secret: string } | null = null;
  /** Customers, Checkout, setup intents, payment methods. */
  readonly billing = new FakeStripeBilling(() => `http://127.0.0.1:${this.port}`);
  /** Invoice items, invoices, their charges and injectable card declines. */
  readonly invoicing = new FakeStripeInvoicing(
    this.billing,
    () => `http://127.0.0.1:${this.port}`,
    (type, object) => this.sendBillingEvent(type, object),
    (currency, amount) =>
      this.availableBalance.set(currency.toLowerCase(), this.balanceOf(currency) + amount),
  );
  readonly refunds = new FakeStripeRefunds(
    this.invoicing.charges,
    this.invoicing.paymentIntents,
    (type, object) => this.sendBillingEvent(type, object),
    (currency, amount) =>
      this.availableBalance.set(currency.toLowerCase(), this.balanceOf(currency) + amount),
  );
  /**
   * Billing events as Stripe sent them (invoice.paid, invoice.payment_failed…), oldest first:
   * delivered to `platformWebhook` when set; tests without a listening API deliver them.
   */
  readonly billingEvents: { id: string; type: string; created: number; object: StripeObject }[] =
    [];
  private readonly idempotency = new Map<string, { hash: string; status: number; body: unknown }>();
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
  readonly failingBefore: { method: string; path: string | RegExp; status: number }[] = [];
  private server: Server | null = null;
  /** The platform's available balance per currency (lower case), once it has moved. */
  private availableBalance = new Map<string, number>();
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

  /** Money-moving requests that Stripe processed (not faulted), e.g. transfers. */
  /** Stripe prunes keys at least 24 h old: a key sent again after that is a new request. */
  expireIdempotencyKeys(): void {
    this.idempotency.clear();
  }

  processed(method: string, path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path === path && r.status < 300);
  }

  /**
   * The account leaves the platform (its owner disconnects it): every call about it answers 403
   * account_invalid from then on, and `account.application.deauthorized` goes to the Connect
   * endpoint when one is set.
   */
  async deauthorize(accountId: string): Promise<void> {
    this.deauthorized.add(accountId);
    if (!this.connectWebhook) return;
    await this.emit(
      'account.application.deauthorized',
      { id: id('ca'), object: 'application', name: 'Handoff' },
      { account: accountId, target: this.connectWebhook },
    );
  }

  /** Changes what Stripe knows about an account (as the onboarding flow would). */
  updateAccount(accountId: string, changes: Record<string, unknown>): StripeObject {
    const account = this.accounts.get(accountId);
    if (!account) throw new Error(`no fake account ${accountId}`);
    Object.assign(account, changes);
    return account;
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
      linkReturns: [...this.linkReturns],
      idempotency: [...this.idempotency],
      availableBalance: [...this.availableBalance],
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
    for (const [k, v] of entries('linkReturns')) this.linkReturns.set(k, v);
    for (const [k, v] of entries('idempotency')) this.idempotency.set(k, v);
    for (const [k, v] of entries('availableBalance')) this.availableBalance.set(k, v);
    this.billingEvents.push(...((state.billingEvents ?? []) as never[]));
    this.billing.importState((state.billing ?? {}) as never);
    this.invoicing.importState((state.invoicing ?? {}) as Record<string, unknown>);
    for (const [k, v] of entries('refunds')) this.refunds.refunds.set(k, v);
    this.port = Number(state.port ?? 0);
  }

  /** The platform's available balance in a currency (minor units). */
  balanceOf(currency: string): number {
    return this.availableBalance.get(currency.toLowerCase()) ?? this.startingBalanceMinor;
  }

  /** Records a billing event and sends it to the platform's endpoint after the answer. */
  private sendBillingEvent(type: string, object: StripeObject): void {
    const event = {
      id: id('evt'),
      type,
      created: Math.floor(Date.now() / 1000),
      // As it was at the event, not as it is when the test reads it; and as Stripe sends it,
      // without what only an expanded request gets.
      object: withoutPaidOffStripe(JSON.parse(JSON.stringify(object)) as StripeObject),
    };
    this.billingEvents.push(event);
    const target = this.platformWebhook;
    if (target) {
      setImmediate(() => {
        this.emit(type, event.object, {
          target,
          eventId: event.id,
          created: event.created,
        }).catch(() => undefined);
      });
    }
  }

  /** Sends a signed event to the webhook URL; returns the HTTP status of the receiver. */
  async emit(
    type: string,
    object: Record<string, unknown>,
    options: {
      account?: string;
      created?: number;
      timestamp?: number;
      eventId?: string;
      target?: { url: string; secret: string };
    } = {},
  ): Promise<{ status: number; event: Record<string, unknown> }> {
    const target = options.target ?? this.webhook;
    if (!target) throw new Error('FakeStripe has no webhook target');
    const event = {
      id: options.eventId ?? id('evt'),
      object: 'event',
      type,
      created: options.created ?? Math.floor(Date.now() / 1000),
      account: options.account,
      data: { object },
      livemode: false,
      api_version: '2026-10-28.endive',
    };
    const payload = JSON.stringify(event);
    const header = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: target.secret,
      timestamp: options.timestamp,
    });
    const res = await fetch(target.url, {
      method: 'POST',
      body: payload,
      headers: { 'Content-Type': 'application/json', 'Stripe-Signature': header },
    });
    return { status: res.status, event };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += chunk;
    const url = new URL(req.url ?? '/', 'http://fake');
    const params = req.method === 'GET' ? Object.fromEntries(url.searchParams) : parseForm(body);
    const key = (req.headers['idempotency-key'] as string | undefined) ?? null;
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({
        method: req.method!,
        path: url.pathname,
        idempotencyKey: key,
        params,
        status,
      });
      res.writeHead(status, {
        'Content-Type': 'application/json',
        'Request-Id': id('req'),
        ...headers,
      });
      res.end(JSON.stringify(payload));
    };

    // The account's owner disconnects it from the platform (`deauthorize`).
    const leaving = /^\/_fake\/accounts\/([^/]+)\/deauthorize$/.exec(url.pathname);
    if (req.method === 'POST' && leaving) {
      const known = this.accounts.has(leaving[1]);
      if (known) await this.deauthorize(leaving[1]).catch(() => undefined);
      res.writeHead(known ? 204 : 404).end();
      return;
    }
    // Stripe's dashboard, where the platform (or Stripe) restricts a connected account: its
    // transfers capability goes inactive (or back to active) with no event sent, as when the
    // account.updated webhook is late; `?notify=1` sends it (to the Connect endpoint, when one is
    // set). Tests of a refused transfer use it; Stripe has no such API.
    const restrict = /^\/_fake\/accounts\/([^/]+)\/transfers\/(active|inactive)$/.exec(
      url.pathname,
    );
    if (req.method === 'POST' && restrict) {
      const account = this.accounts.get(restrict[1]);
      if (account) account.capabilities = { transfers: restrict[2] };
      if (account && url.searchParams.get('notify') === '1' && this.connectWebhook) {
        await this.emit('account.updated', account, {
          account: restrict[1],
          target: this.connectWebhook,
        }).catch(() => undefined);
      }
      res.writeHead(account ? 204 : 404).end();
      return;
    }
    // Stripe's test cards that decline, on a saved card: `none` makes it pay again.
    const decline = /^\/_fake\/payment_methods\/([^/]+)\/decline\/([a-z_]+)$/.exec(url.pathname);
    if (req.method === 'POST' && decline) {
      const known = this.billing.paymentMethods.has(decline[1]);
      const code = decline[2];
      if (known && code === 'none') this.invoicing.declines.delete(decline[1]);
      else if (known && (DECLINE_CODES as readonly string[]).includes(code))
        this.invoicing.declines.set(decline[1], code as DeclineCode);
      res.writeHead(known ? 204 : 404).end();
      return;
    }
    // Finance refunds the charge that paid an invoice in Stripe's dashboard (`?amount=` minor
    // units; all that is left by default).
    const refund = /^\/_fake\/invoices\/([^/]+)\/refund$/.exec(url.pathname);
    if (req.method === 'POST' && refund) {
      const amount = url.searchParams.get('amount');
      const [status, body] = this.refunds.refundInvoice(
        refund[1],
        amount ? Number(amount) : undefined,
      );
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      return;
    }
    // The bank's side of a dispute: a charge (or the charge that paid an invoice) disputed,
    // then the dispute won or lost.
    const disputed = /^\/_fake\/(charges|invoices)\/([^/]+)\/dispute$/.exec(url.pathname);
    const closed = /^\/_fake\/disputes\/([^/]+)\/(won|lost)$/.exec(url.pathname);
    if (req.method === 'POST' && (disputed || closed)) {
      const dispute = disputed
        ? disputed[1] === 'charges'
          ? this.invoicing.dispute(disputed[2])
          : this.invoicing.disputeInvoice(disputed[2])
        : this.invoicing.closeDispute(closed![1], closed![2] as 'won' | 'lost');
      res
        .writeHead(dispute ? 200 : 404, { 'Content-Type': 'application/json' })
        .end(JSON.stringify(dispute ?? { error: { message: 'No such charge or open dispute' } }));
      return;
    }
    const hosted = /^\/invoices\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && hosted) {
      const invoice = this.invoicing.invoices.get(hosted[1]);
      res
        .writeHead(invoice ? 200 : 404, { 'Content-Type': 'text/plain' })
        .end(
          invoice
            ? `Fake Stripe invoice ${String(invoice.number)}: ${invoice.total} ${invoice.currency}, ${invoice.status}.\n`
            : 'No such invoice\n',
        );
      return;
    }
    const checkout = /^\/checkout\/setup\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && checkout) {
      // `?decline=card_declined` (or insufficient_funds): the card saved is one that declines,
      // as Stripe's test cards 4000 0000 0000 0002 and 9995 do.
      // `?card=mastercard-4444`: the brand and last digits of the card the customer enters.
      const decline = url.searchParams.get('decline');
      const card = /^([a-z]+)-(\d{4})$/.exec(url.searchParams.get('card') ?? '');
      await this.completeCheckout(
        checkout[1],
        res,
        (DECLINE_CODES as readonly string[]).includes(decline ?? '')
          ? (decline as DeclineCode)
          : null,
        card ? { brand: card[1], last4: card[2] } : undefined,
      );
      return;
    }
    if (req.method === 'GET' && url.pathname.startsWith('/express/onboarding/')) {
      const [, , , accountId, token] = url.pathname.split('/');
      await this.completeOnboarding(accountId, this.linkReturns.get(token), res);
      return;
    }
    if (this.faults.latencyMs) await new Promise((r) => setTimeout(r, this.faults.latencyMs));
    if (this.rateLimitPerSecond !== null && url.pathname.startsWith('/v1/')) {
      const now = Date.now();
      this.recentCalls = this.recentCalls.filter((t) => t > now - 1000);
      if (this.recentCalls.length >= this.rateLimitPerSecond) {
        send(429, {
          error: {
            type: 'rate_limit_error',
            message: 'Too many requests hit the API too quickly.',
          },
        });
        return;
      }
      this.recentCalls.push(now);
    }
    const before = this.failingBefore.findIndex(
      (f) =>
        f.method === req.method &&
        (typeof f.path === 'string' ? f.path === url.pathname : f.path.test(url.pathname)),
    );
    if (before >= 0) {
      const [{ status }] = this.failingBefore.splice(before, 1);
      const type =
        status === 429 ? 'rate_limit_error' : status >= 500 ? 'api_error' : 'invalid_request_error';
      send(status, { error: { type, message: `Injected ${status}` } });
      return;
    }
    if (req.method === 'POST' && this.faults.rate > 0 && Math.random() < this.faults.rate) {
      if (this.faults.hangMs) {
        await new Promise((r) => setTimeout(r, this.faults.hangMs));
        if (res.destroyed) return;
      }
      const statuses = this.faults.statuses ?? [429, 500];
      const status = statuses[this.injected++ % statuses.length];
      send(status, {
        error: {
          type: status === 429 ? 'rate_limit_error' : 'api_error',
          message: 'Injected fault',
        },
      });
      return;
    }

    if (key && req.method === 'POST') {
      const hash = createHash('sha256').update(`${url.pathname} ${body}`).digest('hex');
      const seen = this.idempotency.get(key);
      if (seen && seen.hash !== hash) {
        send(400, {
          error: {
            type: 'idempotency_error',
            message:
              'Keys for idempotent requests can only be used with the same parameters they were first used with.',
          },
        });
        return;
      }
      if (seen) {
        this.requests.push({
          method: 'POST',
          path: url.pathname,
          idempotencyKey: key,
          params,
          status: 299,
        });
        res.writeHead(seen.status, {
          'Content-Type': 'application/json',
          'Idempotent-Replayed': 'true',
          ...(seen.status >= 500 ? { 'Stripe-Should-Retry': 'false' } : {}),
        });
        res.end(JSON.stringify(seen.body));
        return;
      }
      const failing = this.failingAfterExecution.findIndex((f) =>
        typeof f.path === 'string' ? f.path === url.pathname : f.path.test(url.pathname),
      );
      if (failing >= 0) {
        const [{ created }] = this.failingAfterExecution.splice(failing, 1);
        if (created) this.route(req.method, url.pathname, params);
        const body = { error: { type: 'api_error', message: 'An unknown error occurred' } };
        this.idempotency.set(key, { hash, status: 500, body });
        send(500, body, { 'Stripe-Should-Retry': 'false' });
        return;
      }
      const [status, payload] = this.route(req.method, url.pathname, params);
      // Stripe saves every answer once the endpoint has begun, errors included (a 500 raised
      // inside it: failingAfterExecution); it does not save its rate limiter's 429s.
      if (status !== 429) this.idempotency.set(key, { hash, status, body: payload });
      send(status, payload);
      return;
    }
    const [status, payload] = this.route(req.method ?? 'GET', url.pathname, params);
    send(status, payload);
  }

  /**
   * The hosted onboarding page: visiting it stands for the agent filling in Stripe's forms. The
   * account becomes fully enabled and, when a Connect endpoint is set, `account.updated` is sent
   * to it as Stripe would; then, as Stripe does, the browser goes back to the link's return_url.
   */
  private async completeOnboarding(
    accountId: string,
    returnUrl: string | undefined,
    res: ServerResponse,
  ): Promise<void> {
    const account = this.accounts.get(accountId);
    if (!account) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('No such account');
      return;
    }
    this.updateAccount(accountId, {
      details_submitted: true,
      payouts_enabled: true,
      charges_enabled: true,
      capabilities: { transfers: 'active' },
      requirements: { currently_due: [], disabled_reason: null },
    });
    const delivered = this.connectWebhook
      ? (
          await this.emit('account.updated', account, {
            account: accountId,
            target: this.connectWebhook,
          }).catch(() => ({ status: 0 }))
        ).status
      : null;
    res
      .writeHead(returnUrl ? 302 : 200, {
        'Content-Type': 'text/plain',
        ...(returnUrl && { Location: returnUrl }),
      })
      .end(
        `Fake Stripe: onboarding of ${accountId} complete` +
          (delivered === null ? '.\n' : ` (account.updated answered ${delivered}).\n`),
      );
  }

  /**
   * The hosted Checkout page (setup mode): the card is saved, `checkout.session.completed` goes
   * to the platform's endpoint as Stripe sends it, and the browser goes on to the success URL.
   */
  private async completeCheckout(
    sessionId: string,
    res: ServerResponse,
    decline: DeclineCode | null,
    card?: { brand: string; last4: string },
  ): Promise<void> {
    const session = this.billing.completeSetup(sessionId, card);
    if (!session) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('No open Checkout session');
      return;
    }
    if (decline) {
      const intent = this.billing.setupIntents.get(String(session.setup_intent))!;
      this.invoicing.declines.set(String(intent.payment_method), decline);
    }
    const delivered = this.platformWebhook
      ? (
          await this.emit('checkout.session.completed', session, {
            target: this.platformWebhook,
          }).catch(() => ({ status: 0 }))
        ).status
      : null;
    res
      .writeHead(302, { 'Content-Type': 'text/plain', Location: String(session.success_url) })
      .end(
        `Fake Stripe: card saved for ${String(session.customer)}` +
          (delivered === null ? '.\n' : ` (checkout.session.completed answered ${delivered}).\n`),
      );
  }

  private route(method: string, path: string, p: Record<string, unknown>): [number, unknown] {
    const billed =
      this.billing.route(method, path, p) ??
      this.invoicing.route(method, path, p) ??
      this.refunds.route(method, path, p);
    if (billed) return billed;
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/v1/accounts') {
      const account: StripeObject = {
        id: id('acct'),
        object: 'account',
        type: p.type ?? 'express',
        email: p.email ?? null,
        metadata: p.metadata ?? {},
        charges_enabled: false,
        payouts_enabled: false,
        details_submitted: false,
        capabilities: { transfers: 'inactive' },
        requirements: {
          currently_due: ['external_account', 'individual.dob.day', 'tos_acceptance.date'],
          disabled_reason: 'requirements.past_due',
        },
        created: Math.floor(Date.now() / 1000),
      };
      this.accounts.set(account.id, account);
      return [200, account];
    }
    // Calls about an account that left: the account itself, links to it, transfers to it (the
    // platform's own lists, of transfers say, still answer).
    const gone =
      /^\/v1\/accounts\/([^/]+)/.exec(path)?.[1] ??
      (method === 'POST' && path === '/v1/account_links' ? String(p.account) : undefined) ??
      (method === 'POST' && path === '/v1/transfers' ? String(p.destination) : undefined);
    if (gone !== undefined && this.deauthorized.has(gone)) {
      return [
        403,
        {
          error: {
            type: 'invalid_request_error',
            code: 'account_invalid',
            message: `The provided key does not have access to account '${gone}' (or that account does not exist). Application access may have been revoked.`,
          },
        },
      ];
    }
    if (method === 'GET' && (m = /^\/v1\/accounts\/([^/]+)$/.exec(path))) {
      const account = this.accounts.get(m[1]);
      return account ? [200, account] : notFound('account');
    }
    // The platform rejects an account (and may undo its own rejection): payouts off for good.
    if (method === 'POST' && (m = /^\/v1\/accounts\/([^/]+)\/(reject|unreject)$/.exec(path))) {
      const account = this.accounts.get(m[1]);
      if (!account) return notFound('account');
      const rejected = m[2] === 'reject';
      Object.assign(account, {
        payouts_enabled: !rejected,
        charges_enabled: !rejected,
        capabilities: { transfers: rejected ? 'inactive' : 'active' },
        requirements: {
          ...(account.requirements as object),
          disabled_reason: rejected ? `rejected.platform_${String(p.reason)}` : null,
        },
      });
      // Stripe tells the Connect endpoint of every change to an account.
      if (this.connectWebhook) {
        void this.emit('account.updated', account, {
          account: m[1],
          target: this.connectWebhook,
        }).catch(() => undefined);
      }
      return [200, account];
    }
    if (method === 'POST' && path === '/v1/account_links') {
      if (!this.accounts.has(String(p.account))) return notFound('account');
      const token = randomBytes(8).toString('hex');
      if (p.return_url) this.linkReturns.set(token, String(p.return_url));
      return [
        200,
        {
          object: 'account_link',
          // Stripe's hosted onboarding; here a page that completes it on a visit.
          url: `http://127.0.0.1:${this.port}/express/onboarding/${p.account}/${token}`,
          created: Math.floor(Date.now() / 1000),
          expires_at: Math.floor(Date.now() / 1000) + 300,
        },
      ];
    }
    if (method === 'POST' && path === '/v1/transfers') {
      const destination = this.accounts.get(String(p.destination));
      if (!destination) return notFound('destination account');
      if ((destination.capabilities as { transfers: string }).transfers !== 'active') {
        return [
          400,
          {
            error: {
              type: 'invalid_request_error',
              code: 'insufficient_capabilities_for_transfer',
              message:
                'Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments',
            },
          },
        ];
      }
      const amount = Number(p.amount);
      if (amount > this.balanceOf(String(p.currency))) {
        return [
          400,
          {
            error: {
              type: 'invalid_request_error',
              code: 'balance_insufficient',
              message:
                'You have insufficient available funds in your Stripe account. Try adding funds directly to your available balance by creating Top-ups.',
            },
          },
        ];
      }
      const transfer: StripeObject = {
        id: id('tr'),
        object: 'transfer',
        amount,
        amount_reversed: 0,
        currency: String(p.currency),
        destination: destination.id,
        metadata: p.metadata ?? {},
        transfer_group: p.transfer_group ?? null,
        reversed: false,
        reversals: { object: 'list', data: [] },
        created: Math.floor(Date.now() / 1000),
      };
      this.transfers.set(transfer.id, transfer);
      const currency = String(p.currency).toLowerCase();
      this.availableBalance.set(currency, this.balanceOf(currency) - amount);
      return [200, transfer];
    }
    if (method === 'GET' && (m = /^\/v1\/transfers\/([^/]+)$/.exec(path))) {
      const transfer = this.transfers.get(m[1]);
      return transfer ? [200, transfer] : notFound('transfer');
    }
    if (method === 'GET' && path === '/v1/transfers') {
      // Newest first, `limit` (1–100, default 10) a page, `starting_after` an id: as Stripe.
      const all = [...this.transfers.values()]
        .filter(
          (t) =>
            (!p.destination || t.destination === p.destination) &&
            (!p.transfer_group || t.transfer_group === p.transfer_group),
        )
        .reverse();
      const limit = Math.min(100, Math.max(1, Number(p.limit ?? 10)));
      const from = p.starting_after ? all.findIndex((t) => t.id === p.starting_after) + 1 : 0;
      const data = all.slice(from, from + limit);
      const has_more = from + limit < all.length;
      return [200, { object: 'list', data, has_more, url: '/v1/transfers' }];
    }
    if (method === 'POST' && (m = /^\/v1\/transfers\/([^/]+)\/reversals$/.exec(path))) {
      const transfer = this.transfers.get(m[1]);
      if (!transfer) return notFound('transfer');
      const left = Number(transfer.amount) - Number(transfer.amount_reversed);
      const amount = p.amount === undefined ? left : Number(p.amount);
      const reversal = {
        id: id('trr'),
        object: 'transfer_reversal',
        amount,
        currency: transfer.currency,
        transfer: transfer.id,
        created: Math.floor(Date.now() / 1000),
      };
      transfer.amount_reversed = Number(transfer.amount_reversed) + amount;
      // The reversed money comes back to the platform's balance.
      const back = String(transfer.currency).toLowerCase();
      this.availableBalance.set(back, this.balanceOf(back) + amount);
      transfer.reversed = transfer.amount_reversed === transfer.amount;
      (transfer.reversals as { data: unknown[] }).data.push(reversal);
      return [200, reversal];
    }
    if (method === 'GET' && path === '/v1/balance') {
      return [
        200,
        {
          object: 'balance',
          // Every currency money moved in, and the usual ones at their starting balance.
          available: [...new Set([...FUNDED_CURRENCIES, ...this.availableBalance.keys()])].map(
            (currency) => ({ currency, amount: this.balanceOf(currency) }),
          ),
          pending: [],
        },
      ];
    }
    return [
      404,
      {
        error: {
          type: 'invalid_request_error',
          message: `Unrecognized request URL (${method}: ${path})`,
        },
      },
    ];
  }
}
