import {
  type Answer,
  type FakeStripeBilling,
  notFound,
  type StripeObject,
} from './fake-stripe-billing';
import { FakeStripeDisputes } from './fake-stripe-disputes';
import { asAsked, type Invoice } from './fake-stripe-invoice-answers';
import { type DeclineCode, FakeStripeInvoiceCollection } from './fake-stripe-invoice-collection';
import { FakeStripeInvoiceDrafts } from './fake-stripe-invoice-drafts';

// What this file exported before its parts had files of their own.
export { withoutPaidOffStripe } from './fake-stripe-invoice-answers';
export { DECLINE_CODES, type DeclineCode } from './fake-stripe-invoice-collection';
export { FAKE_INVOICE_ITEM_LIMIT } from './fake-stripe-invoice-drafts';

/* The invoicing part of the fake Stripe (issue 18): invoice items, invoices (create, finalize,
 * pay, void, mark uncollectible), the charges that pay them, with declines that tests inject
 * per card, and the events Stripe sends about them. FakeStripe routes these paths here.
 * It holds what tests read and the saved state, and routes; drafts, collection (finalize, pay,
 * void) and disputes are parts of their own (fake-stripe-invoice-*.ts, fake-stripe-disputes). */

export class FakeStripeInvoicing {
  readonly invoices = new Map<string, Invoice>();
  readonly invoiceItems = new Map<string, StripeObject>();
  readonly charges = new Map<string, StripeObject>();
  readonly paymentIntents = new Map<string, StripeObject>();
  readonly invoicePayments: StripeObject[] = [];
  readonly disputes = new Map<string, StripeObject>();
  /** Cards that decline, and with which code (tests, or the dashboard path). */
  readonly declines = new Map<string, DeclineCode>();
  private readonly drafts: FakeStripeInvoiceDrafts;
  private readonly collection: FakeStripeInvoiceCollection;
  private readonly disputing: FakeStripeDisputes;

  constructor(
    billing: FakeStripeBilling,
    base: () => string,
    /** An event Stripe sends (the server signs and delivers it). */
    notify: (type: string, object: StripeObject) => void,
    /** Money that reached the platform's balance (a paid invoice). */
    credit: (currency: string, amount: number) => void,
  ) {
    this.drafts = new FakeStripeInvoiceDrafts(billing, this.invoices, this.invoiceItems, notify);
    this.collection = new FakeStripeInvoiceCollection(billing, this, base, notify, credit);
    this.disputing = new FakeStripeDisputes(this.disputes, this.charges, notify, credit);
  }

  /** Everything it holds, as JSON (the fake's state survives a restart of `npm start`). */
  exportState(): Record<string, unknown> {
    return {
      invoices: [...this.invoices],
      invoiceItems: [...this.invoiceItems],
      charges: [...this.charges],
      paymentIntents: [...this.paymentIntents],
      invoicePayments: this.invoicePayments,
      disputes: [...this.disputes],
      declines: [...this.declines],
      numbered: this.collection.numbered,
    };
  }

  importState(state: Record<string, unknown>): void {
    const entries = (key: string) => (state[key] ?? []) as [string, never][];
    for (const [k, v] of entries('invoices')) this.invoices.set(k, v);
    for (const [k, v] of entries('invoiceItems')) this.invoiceItems.set(k, v);
    for (const [k, v] of entries('charges')) this.charges.set(k, v);
    for (const [k, v] of entries('paymentIntents')) this.paymentIntents.set(k, v);
    for (const [k, v] of entries('disputes')) this.disputes.set(k, v);
    for (const [k, v] of entries('declines')) this.declines.set(k, v);
    this.invoicePayments.push(...((state.invoicePayments ?? []) as StripeObject[]));
    this.collection.numbered = Number(state.numbered ?? 0);
  }

  /** One invoice's path: read, delete, or an action on it. */
  private invoiceRoute(
    method: string,
    invoiceId: string,
    action: string | undefined,
    p: Record<string, unknown>,
  ): Answer | null {
    const invoice = this.invoices.get(invoiceId);
    if (!invoice) return notFound('invoice');
    if (method === 'GET' && !action) return [200, invoice];
    if (method === 'DELETE' && !action) return this.drafts.remove(invoice);
    if (method !== 'POST') return null;
    const { collection } = this;
    if (action === 'finalize') return collection.finalize(invoice, p);
    if (action === 'pay') return collection.pay(invoice, p);
    if (action === 'void') return collection.close(invoice, 'void', 'voided_at', 'invoice.voided');
    if (action === 'mark_uncollectible') {
      return collection.close(
        invoice,
        'uncollectible',
        'marked_uncollectible_at',
        'invoice.marked_uncollectible',
      );
    }
    return null;
  }

  /** Answers an invoicing path, or null when the path is not invoicing's. */
  route(method: string, path: string, p: Record<string, unknown>): Answer | null {
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/v1/invoiceitems') return this.drafts.createItem(p);
    if (method === 'GET' && path === '/v1/invoiceitems') {
      const data = [...this.invoiceItems.values()]
        .filter((i) => !p.invoice || i.invoice === p.invoice)
        .reverse();
      return [200, { object: 'list', data, has_more: false, url: '/v1/invoiceitems' }];
    }
    if (method === 'POST' && path === '/v1/invoices') return this.drafts.create(p);
    if (method === 'GET' && path === '/v1/invoices') {
      const data = [...this.invoices.values()]
        .filter((i) => !p.customer || i.customer === p.customer)
        .filter((i) => !p.status || i.status === p.status)
        .reverse();
      return [200, { object: 'list', data, has_more: false, url: '/v1/invoices' }];
    }
    if ((m = /^\/v1\/invoices\/([^/]+)(?:\/([a-z_]+))?$/.exec(path))) {
      return asAsked(this.invoiceRoute(method, m[1], m[2], p), p);
    }
    if (method === 'GET' && path === '/v1/invoice_payments') {
      // GET parameters arrive flat: payment[payment_intent]=pi_…
      const intent =
        p['payment[payment_intent]'] ?? (p.payment as { payment_intent?: string })?.payment_intent;
      const data = this.invoicePayments.filter(
        (ip) =>
          (!p.invoice || ip.invoice === p.invoice) &&
          (!intent || (ip.payment as { payment_intent: string }).payment_intent === intent),
      );
      return [200, { object: 'list', data, has_more: false, url: '/v1/invoice_payments' }];
    }
    const disputed = this.disputing.route(method, path);
    if (disputed) return disputed;
    if (method === 'GET' && (m = /^\/v1\/charges\/([^/]+)$/.exec(path))) {
      const charge = this.charges.get(m[1]);
      return charge ? [200, charge] : notFound('charge');
    }
    return null;
  }

  // Disputes (tests call these in place of the bank): see FakeStripeDisputes.

  dispute(chargeId: string, kind: 'dispute' | 'inquiry' = 'dispute'): StripeObject | null {
    return this.disputing.dispute(chargeId, kind);
  }

  escalateInquiry(disputeId: string): StripeObject | null {
    return this.disputing.escalateInquiry(disputeId);
  }

  disputeInvoice(invoiceId: string): StripeObject | null {
    return this.disputing.disputeInvoice(invoiceId);
  }

  appealDispute(disputeId: string): StripeObject | null {
    return this.disputing.appealDispute(disputeId);
  }

  preventedDispute(chargeId: string): StripeObject | null {
    return this.disputing.preventedDispute(chargeId);
  }

  closeDispute(disputeId: string, outcome: 'won' | 'lost'): StripeObject | null {
    return this.disputing.closeDispute(disputeId, outcome);
  }
}
