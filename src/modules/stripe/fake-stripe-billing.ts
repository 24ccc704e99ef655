import { randomBytes } from 'node:crypto';

/* The money-in half of the fake Stripe (issue 18): customers, Checkout in setup mode with its
 * hosted page, setup intents and card payment methods. FakeStripe routes these paths here. */

export type StripeObject = Record<string, unknown> & { id: string };
export type Answer = [number, unknown];

const id = (prefix: string) => `${prefix}_${randomBytes(10).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

export const notFound = (what: string): Answer => [
  404,
  {
    error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${what}` },
  },
];
const invalid = (message: string, param?: string): Answer => [
  400,
  { error: { type: 'invalid_request_error', message, ...(param ? { param } : {}) } },
];

/**
 * A page of a list, as Stripe pages one: `all` newest first, `limit` (1–100, default 10) a
 * page, `starting_after` an id of the page before.
 */
export function listPage(all: StripeObject[], p: Record<string, unknown>, url: string): Answer {
  const limit = Math.min(100, Math.max(1, Number(p.limit ?? 10)));
  const after = p.starting_after ? all.findIndex((o) => o.id === p.starting_after) : -1;
  if (p.starting_after && after < 0) {
    return invalid(`No such object: '${String(p.starting_after)}'`, 'starting_after');
  }
  const from = after + 1;
  const data = all.slice(from, from + limit);
  return [200, { object: 'list', data, has_more: from + limit < all.length, url }];
}

export class FakeStripeBilling {
  readonly customers = new Map<string, StripeObject>();
  readonly checkoutSessions = new Map<string, StripeObject>();
  readonly setupIntents = new Map<string, StripeObject>();
  readonly paymentMethods = new Map<string, StripeObject>();
  /** Customer balance transactions, oldest first. */
  readonly balanceTransactions = new Map<string, StripeObject>();

  constructor(private readonly base: () => string) {}

  /** Everything it holds, as JSON (the fake's state survives a restart of `npm start`). */
  exportState(): Record<string, unknown> {
    return {
      customers: [...this.customers],
      checkoutSessions: [...this.checkoutSessions],
      setupIntents: [...this.setupIntents],
      paymentMethods: [...this.paymentMethods],
      balanceTransactions: [...this.balanceTransactions],
    };
  }

  importState(state: Record<string, [string, StripeObject][]>): void {
    for (const key of [
      'customers',
      'checkoutSessions',
      'setupIntents',
      'paymentMethods',
      'balanceTransactions',
    ] as const) {
      for (const [id, object] of state[key] ?? []) this[key].set(id, object);
    }
  }

  /**
   * Adds `amount` to the customer's balance (positive: a debit Stripe adds to the next invoice)
   * and records the transaction, as Stripe does for an adjustment or an invoice too small to
   * charge. The customer's currency is set by the first (one balance per customer here).
   */
  adjustBalance(
    customer: StripeObject,
    amount: number,
    currency: string,
    fields: object,
  ): StripeObject {
    customer.currency ??= currency;
    customer.balance = Number(customer.balance ?? 0) + amount;
    const transaction: StripeObject = {
      id: id('cbtxn'),
      object: 'customer_balance_transaction',
      customer: customer.id,
      amount,
      currency,
      description: null,
      invoice: null,
      metadata: {},
      ending_balance: customer.balance,
      created: now(),
      ...fields,
    };
    this.balanceTransactions.set(transaction.id, transaction);
    return transaction;
  }

  /** Answers a billing path, or null when the path is not billing's. */
  route(method: string, path: string, p: Record<string, unknown>): Answer | null {
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/v1/customers') {
      const customer: StripeObject = {
        id: id('cus'),
        object: 'customer',
        name: p.name ?? null,
        email: p.email ?? null,
        metadata: p.metadata ?? {},
        invoice_settings: { default_payment_method: null },
        // What Stripe adds to (positive) or takes off (negative) the customer's next invoice.
        balance: 0,
        created: now(),
      };
      this.customers.set(customer.id, customer);
      return [200, customer];
    }
    if ((m = /^\/v1\/customers\/([^/]+)$/.exec(path))) {
      const customer = this.customers.get(m[1]);
      if (!customer) return notFound('customer');
      if (method === 'GET') return [200, customer];
      if (method !== 'POST') return null;
      const settings = p.invoice_settings as { default_payment_method?: string } | undefined;
      const pm = settings?.default_payment_method;
      if (pm !== undefined && !this.paymentMethods.has(pm)) return notFound('payment_method');
      if (pm !== undefined) customer.invoice_settings = { default_payment_method: pm };
      // An empty string unsets the field, as at Stripe.
      for (const key of ['name', 'email'] as const)
        if (p[key] !== undefined) customer[key] = p[key] === '' ? null : p[key];
      if (p.metadata)
        customer.metadata = { ...(customer.metadata as object), ...(p.metadata as object) };
      return [200, customer];
    }
    if ((m = /^\/v1\/customers\/([^/]+)\/balance_transactions$/.exec(path))) {
      const customer = this.customers.get(m[1]);
      if (!customer) return notFound('customer');
      if (method === 'GET') {
        const data = [...this.balanceTransactions.values()]
          .filter((t) => t.customer === customer.id)
          .reverse();
        return [200, { object: 'list', data, has_more: false, url: path }];
      }
      if (method !== 'POST') return null;
      const amount = Number(p.amount);
      if (!Number.isSafeInteger(amount) || amount === 0)
        return invalid('Invalid integer: amount', 'amount');
      const currency = String(p.currency ?? '').toLowerCase();
      if (!currency) return invalid('Missing required param: currency.', 'currency');
      if (customer.currency && customer.currency !== currency) {
        return invalid('This fake keeps a balance in the customer’s currency only', 'currency');
      }
      const transaction = this.adjustBalance(customer, amount, currency, {
        type: 'adjustment',
        description: p.description ?? null,
        metadata: p.metadata ?? {},
      });
      return [200, transaction];
    }
    if (method === 'POST' && path === '/v1/checkout/sessions') {
      if (p.mode !== 'setup')
        return invalid('This fake supports Checkout in setup mode only', 'mode');
      if (!this.customers.has(String(p.customer))) return notFound('customer');
      if (!p.success_url) return invalid('Missing required param: success_url.', 'success_url');
      const session: StripeObject = {
        id: id('cs_test'),
        object: 'checkout.session',
        mode: 'setup',
        customer: p.customer,
        status: 'open',
        setup_intent: null,
        success_url: p.success_url,
        cancel_url: p.cancel_url ?? null,
        metadata: p.metadata ?? {},
        expires_at: now() + 24 * 3600,
        created: now(),
      };
      session.url = `${this.base()}/checkout/setup/${session.id}`;
      this.checkoutSessions.set(session.id, session);
      return [200, session];
    }
    if (method === 'GET' && (m = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path))) {
      const session = this.checkoutSessions.get(m[1]);
      return session ? [200, session] : notFound('checkout.session');
    }
    if (method === 'GET' && (m = /^\/v1\/setup_intents\/([^/]+)$/.exec(path))) {
      const intent = this.setupIntents.get(m[1]);
      return intent ? [200, intent] : notFound('setup_intent');
    }
    if (method === 'GET' && (m = /^\/v1\/payment_methods\/([^/]+)$/.exec(path))) {
      const pm = this.paymentMethods.get(m[1]);
      return pm ? [200, pm] : notFound('payment_method');
    }
    return null;
  }

  /**
   * The hosted Checkout page in setup mode: visiting it stands for the customer entering a card
   * (a Visa ending 4242, or `card` given). Returns the completed session, or null when there is
   * no open session of that id.
   */
  completeSetup(sessionId: string, card = { brand: 'visa', last4: '4242' }): StripeObject | null {
    const session = this.checkoutSessions.get(sessionId);
    if (!session || session.status !== 'open') return null;
    const pm: StripeObject = {
      id: id('pm'),
      object: 'payment_method',
      type: 'card',
      customer: session.customer,
      card: { ...card, exp_month: 12, exp_year: new Date().getUTCFullYear() + 3 },
      created: now(),
    };
    this.paymentMethods.set(pm.id, pm);
    const intent: StripeObject = {
      id: id('seti'),
      object: 'setup_intent',
      status: 'succeeded',
      customer: session.customer,
      payment_method: pm.id,
      usage: 'off_session',
      created: now(),
    };
    this.setupIntents.set(intent.id, intent);
    Object.assign(session, { status: 'complete', setup_intent: intent.id });
    return session;
  }
}
