import { randomBytes } from 'node:crypto';
import { minimumChargeMinor } from '../../common/money/minimum-charge';
import {
  type Answer,
  type FakeStripeBilling,
  notFound,
  type StripeObject,
} from './fake-stripe-billing';

/* The invoicing part of the fake Stripe (issue 18): invoice items, invoices (create, finalize,
 * pay, void, mark uncollectible), the charges that pay them, with declines that tests inject
 * per card, and the events Stripe sends about them. FakeStripe routes these paths here. */

const id = (prefix: string) => `${prefix}_${randomBytes(10).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

/** How many invoice items Stripe lets one invoice have. */
export const FAKE_INVOICE_ITEM_LIMIT = 250;
/** Stripe's Smart Retries try again days later; the fake says when, and retries on `pay`. */
/**
 * Stripe's smallest charge as the fake applies it: Handoff's table (the currencies Stripe lists
 * a minimum for), and for a currency Stripe lists none for, its rule (the equivalent of
 * USD 0.50) at some day's rate. Handoff's table cannot know those, so tests can show what an
 * invoice below one does.
 */
const UNLISTED_MINIMUM_MINOR: Readonly<Record<string, number>> = { ZAR: 900 };
const stripeMinimumMinor = (currency: string) =>
  UNLISTED_MINIMUM_MINOR[currency.toUpperCase()] ?? minimumChargeMinor(currency);

const RETRY_AFTER_SECONDS = 3 * 24 * 3600;

export const DECLINE_CODES = ['card_declined', 'insufficient_funds'] as const;
export type DeclineCode = (typeof DECLINE_CODES)[number];

const invalid = (message: string, param?: string, code?: string): Answer => [
  400,
  {
    error: {
      type: 'invalid_request_error',
      message,
      ...(param ? { param } : {}),
      ...(code ? { code } : {}),
    },
  },
];

type Invoice = StripeObject & {
  status: 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';
  customer: string;
  currency: string;
  total: number;
  attempt_count: number;
  lines: { object: 'list'; data: StripeObject[] };
  status_transitions: Record<string, number | null>;
};

export class FakeStripeInvoicing {
  readonly invoices = new Map<string, Invoice>();
  readonly invoiceItems = new Map<string, StripeObject>();
  readonly charges = new Map<string, StripeObject>();
  readonly paymentIntents = new Map<string, StripeObject>();
  readonly invoicePayments: StripeObject[] = [];
  readonly disputes = new Map<string, StripeObject>();
  /** Cards that decline, and with which code (tests, or the dashboard path). */
  readonly declines = new Map<string, DeclineCode>();
  private numbered = 0;

  constructor(
    private readonly billing: FakeStripeBilling,
    private readonly base: () => string,
    /** An event Stripe sends (the server signs and delivers it). */
    private readonly notify: (type: string, object: StripeObject) => void,
    /** Money that reached the platform's balance (a paid invoice). */
    private readonly credit: (currency: string, amount: number) => void,
  ) {}

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
      numbered: this.numbered,
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
    this.numbered = Number(state.numbered ?? 0);
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
    if (method === 'DELETE' && !action) return this.remove(invoice);
    if (method !== 'POST') return null;
    if (action === 'finalize') return this.finalize(invoice, p);
    if (action === 'pay') return this.pay(invoice, p);
    if (action === 'void') return this.close(invoice, 'void', 'voided_at', 'invoice.voided');
    if (action === 'mark_uncollectible') {
      return this.close(
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
    if (method === 'POST' && path === '/v1/invoiceitems') return this.createItem(p);
    if (method === 'GET' && path === '/v1/invoiceitems') {
      const data = [...this.invoiceItems.values()]
        .filter((i) => !p.invoice || i.invoice === p.invoice)
        .reverse();
      return [200, { object: 'list', data, has_more: false, url: '/v1/invoiceitems' }];
    }
    if (method === 'POST' && path === '/v1/invoices') return this.create(p);
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
    if (method === 'GET' && (m = /^\/v1\/disputes\/([^/]+)$/.exec(path))) {
      const dispute = this.disputes.get(m[1]);
      return dispute ? [200, dispute] : notFound('dispute');
    }
    if (method === 'GET' && (m = /^\/v1\/charges\/([^/]+)$/.exec(path))) {
      const charge = this.charges.get(m[1]);
      return charge ? [200, charge] : notFound('charge');
    }
    return null;
  }

  private create(p: Record<string, unknown>): Answer {
    const customer = String(p.customer ?? '');
    if (!this.billing.customers.has(customer)) return notFound('customer');
    if (p.pending_invoice_items_behavior !== 'exclude') {
      return invalid(
        'This fake bills only items added to the invoice itself',
        'pending_invoice_items_behavior',
      );
    }
    const invoice: Invoice = {
      id: id('in'),
      object: 'invoice',
      status: 'draft',
      customer,
      currency: String(p.currency ?? 'eur'),
      collection_method: p.collection_method ?? 'charge_automatically',
      auto_advance: p.auto_advance === 'true',
      description: p.description ?? null,
      metadata: p.metadata ?? {},
      number: null,
      hosted_invoice_url: null,
      total: 0,
      amount_due: 0,
      amount_paid: 0,
      amount_remaining: 0,
      starting_balance: 0,
      ending_balance: null, // set when finalized
      attempt_count: 0,
      attempted: false,
      next_payment_attempt: null,
      lines: { object: 'list', data: [] },
      status_transitions: {
        finalized_at: null,
        paid_at: null,
        marked_uncollectible_at: null,
        voided_at: null,
      },
      created: now(),
    };
    this.invoices.set(invoice.id, invoice);
    return [200, invoice];
  }

  private createItem(p: Record<string, unknown>): Answer {
    const customer = String(p.customer ?? '');
    if (!this.billing.customers.has(customer)) return notFound('customer');
    const amount = Number(p.amount);
    if (!Number.isSafeInteger(amount)) return invalid('Invalid integer: amount', 'amount');
    const invoice = p.invoice ? this.invoices.get(String(p.invoice)) : undefined;
    if (p.invoice && !invoice) return notFound('invoice');
    if (invoice && (invoice.status !== 'draft' || invoice.customer !== customer)) {
      return invalid('Items can be added only to a draft invoice of the same customer', 'invoice');
    }
    // Stripe's own limit on an invoice's items.
    if (invoice && invoice.lines.data.length >= FAKE_INVOICE_ITEM_LIMIT) {
      return invalid(
        `An invoice can have at most ${FAKE_INVOICE_ITEM_LIMIT} invoice items`,
        'invoice',
      );
    }
    const item: StripeObject = {
      id: id('ii'),
      object: 'invoiceitem',
      amount,
      currency: String(p.currency ?? invoice?.currency ?? 'eur'),
      customer,
      description: p.description ?? null,
      invoice: invoice?.id ?? null,
      metadata: p.metadata ?? {},
      date: now(),
    };
    this.invoiceItems.set(item.id, item);
    if (invoice) {
      invoice.lines.data.push({
        id: id('il'),
        object: 'line_item',
        amount,
        description: item.description,
      });
      invoice.total += amount;
      Object.assign(invoice, { amount_due: invoice.total, amount_remaining: invoice.total });
    }
    return [200, item];
  }

  private finalize(invoice: Invoice, p: Record<string, unknown>): Answer {
    if (invoice.status !== 'draft') {
      return invalid(
        `This invoice is already ${invoice.status}.`,
        undefined,
        'invoice_not_editable',
      );
    }
    if (invoice.total < 0) return invalid('This fake does not credit customer balances');
    Object.assign(invoice, {
      status: 'open',
      number: `FAKE-${String(++this.numbered).padStart(4, '0')}`,
      hosted_invoice_url: `${this.base()}/invoices/${invoice.id}`,
      auto_advance: p.auto_advance === undefined ? invoice.auto_advance : p.auto_advance === 'true',
    });
    invoice.status_transitions.finalized_at = now();
    // The customer's balance is applied to what is due (a debit left by an earlier invoice
    // below the smallest charge is added to this one).
    const customer = this.billing.customers.get(invoice.customer)!;
    // Only a balance in the invoice's currency (the customer's default one) applies.
    const applies = !customer.currency || customer.currency === invoice.currency;
    const balance = applies ? Number(customer.balance ?? 0) : 0;
    const due = invoice.total + balance;
    Object.assign(invoice, {
      starting_balance: balance,
      amount_due: due,
      amount_remaining: due,
    });
    if (applies) customer.balance = 0;
    invoice.ending_balance = 0; // the customer's balance in its currency, once applied
    this.notify('invoice.finalized', invoice);
    if (due > 0 && due < stripeMinimumMinor(invoice.currency)) {
      // Below the smallest charge: paid at once with nothing charged, the amount moved onto the
      // customer's balance (which Stripe adds to its next invoice).
      const moved = this.billing.adjustBalance(customer, due, invoice.currency, {
        type: 'invoice_too_small',
        invoice: invoice.id,
      });
      Object.assign(invoice, {
        status: 'paid',
        amount_paid: 0,
        amount_remaining: 0,
        ending_balance: moved.ending_balance,
      });
      invoice.status_transitions.paid_at = now();
      this.notify('invoice.paid', invoice);
    }
    return [200, invoice];
  }

  /**
   * Charges the invoice to the given card or the customer's default: a card marked to decline
   * answers 402 as Stripe does (the failed attempt counted, a retry time set, the event sent);
   * otherwise a charge pays it and its amount joins the platform's balance.
   */
  private pay(invoice: Invoice, p: Record<string, unknown>): Answer {
    if (invoice.status === 'paid') {
      return invalid('Invoice is already paid', undefined, 'invoice_already_paid');
    }
    // An uncollectible invoice can still be paid (its status then becomes paid), as at Stripe.
    if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
      return invalid(
        `You cannot pay an invoice that is ${invoice.status}.`,
        undefined,
        'invoice_not_open',
      );
    }
    const customer = this.billing.customers.get(invoice.customer)!;
    const settings = customer.invoice_settings as { default_payment_method: string | null };
    const pm = (p.payment_method as string | undefined) ?? settings.default_payment_method;
    const due = invoice.amount_due as number;
    if (String(p.paid_out_of_band) === 'true') {
      // Marked paid in the dashboard (a bank transfer): no charge, nothing into the balance;
      // amount_paid_off_stripe says how much (given when expanded, as Stripe does).
      return this.paid(invoice, { amount_paid_off_stripe: due });
    }
    if (due > 0 && !pm) {
      return invalid(
        'This customer has no attached payment source or default payment method.',
        undefined,
        'invoice_no_customer_payment_method',
      );
    }
    invoice.attempted = true;
    invoice.attempt_count += 1;
    const decline = pm ? this.declines.get(pm) : undefined;
    if (decline) {
      invoice.next_payment_attempt = now() + RETRY_AFTER_SECONDS;
      this.notify('invoice.payment_failed', invoice);
      return [
        402,
        {
          error: {
            type: 'card_error',
            code: 'card_declined',
            decline_code: decline === 'card_declined' ? 'generic_decline' : decline,
            message:
              decline === 'insufficient_funds'
                ? 'Your card has insufficient funds.'
                : 'Your card was declined.',
          },
        },
      ];
    }
    if (due > 0) {
      const intentId = id('pi');
      const charge: StripeObject = {
        id: id('ch'),
        object: 'charge',
        amount: due,
        currency: invoice.currency,
        customer: invoice.customer,
        payment_intent: intentId,
        payment_method: pm,
        status: 'succeeded',
        paid: true,
        disputed: false,
        amount_refunded: 0,
        refunded: false,
        metadata: { invoice: invoice.id },
        created: now(),
      };
      this.charges.set(charge.id, charge);
      this.paymentIntents.set(intentId, {
        id: intentId,
        object: 'payment_intent',
        amount: due,
        currency: invoice.currency,
        customer: invoice.customer,
        status: 'succeeded',
        latest_charge: charge.id,
        created: now(),
      });
      // How an invoice names what paid it (Stripe's invoice payments).
      this.invoicePayments.push({
        id: id('inpay'),
        object: 'invoice_payment',
        invoice: invoice.id,
        amount_paid: due,
        amount_requested: due,
        currency: invoice.currency,
        is_default: true,
        status: 'paid',
        payment: { type: 'payment_intent', payment_intent: intentId },
        created: now(),
      });
      this.credit(invoice.currency, due);
    }
    return this.paid(invoice);
  }

  /** The invoice paid in full now (by a charge, or `extra` says how), and Stripe's event. */
  private paid(invoice: Invoice, extra: Record<string, unknown> = {}): Answer {
    Object.assign(invoice, {
      status: 'paid',
      amount_paid: invoice.amount_due,
      amount_remaining: 0,
      next_payment_attempt: null,
      ...extra,
    });
    invoice.status_transitions.paid_at = now();
    this.notify('invoice.paid', invoice);
    return [200, invoice];
  }

  /**
   * The cardholder disputes a charge (the dashboard path stands for the bank): Stripe takes the
   * amount from the platform's balance and says so (charge.dispute.created). An inquiry (the
   * bank asks before it decides) takes nothing: `warning_needs_response`, until it is closed
   * (`warning_closed`) or becomes a dispute (escalateInquiry).
   */
  dispute(chargeId: string, kind: 'dispute' | 'inquiry' = 'dispute'): StripeObject | null {
    const charge = this.charges.get(chargeId);
    if (!charge || charge.disputed) return null;
    const dispute: StripeObject = {
      id: id('dp'),
      object: 'dispute',
      amount: charge.amount,
      currency: charge.currency,
      charge: charge.id,
      payment_intent: charge.payment_intent,
      reason: 'fraudulent',
      status: kind === 'inquiry' ? 'warning_needs_response' : 'needs_response',
      created: now(),
    };
    charge.disputed = true;
    this.disputes.set(dispute.id, dispute);
    if (kind === 'dispute') this.credit(String(charge.currency), -Number(charge.amount));
    this.notify('charge.dispute.created', dispute);
    return dispute;
  }

  /** An inquiry becomes a dispute: now Stripe takes the amount (charge.dispute.funds_withdrawn). */
  escalateInquiry(disputeId: string): StripeObject | null {
    const dispute = this.disputes.get(disputeId);
    if (dispute?.status !== 'warning_needs_response') return null;
    dispute.status = 'needs_response';
    this.credit(String(dispute.currency), -Number(dispute.amount));
    this.notify('charge.dispute.funds_withdrawn', dispute);
    return dispute;
  }

  /** The charge that paid an invoice, disputed (tests that know the invoice, not the charge). */
  disputeInvoice(invoiceId: string): StripeObject | null {
    const charge = [...this.charges.values()].find(
      (c) => (c.metadata as Record<string, unknown>).invoice === invoiceId,
    );
    return charge ? this.dispute(String(charge.id)) : null;
  }

  /**
   * A lost dispute appealed (charge.dispute.updated): the money stays with the payer until the
   * appeal is decided, by closeDispute.
   */
  appealDispute(disputeId: string): StripeObject | null {
    const dispute = this.disputes.get(disputeId);
    if (dispute?.status !== 'lost') return null;
    dispute.status = 'appeal_under_review';
    this.notify('charge.dispute.updated', dispute);
    return dispute;
  }

  /**
   * A Stripe dispute prevention (a Visa RDR resolution, say) stops a dispute before it becomes a
   * chargeback: `prevented`, nothing taken, the cardholder refunded instead.
   */
  preventedDispute(chargeId: string): StripeObject | null {
    const dispute = this.dispute(chargeId, 'inquiry');
    if (!dispute) return null;
    dispute.status = 'prevented';
    this.notify('charge.dispute.closed', dispute);
    return dispute;
  }

  /**
   * The bank decides (or, for a lost dispute appealed, the network): won gives the money back to
   * the balance; lost keeps it with the payer; an inquiry closes as `warning_closed`, having
   * taken nothing.
   */
  closeDispute(disputeId: string, outcome: 'won' | 'lost'): StripeObject | null {
    const dispute = this.disputes.get(disputeId);
    if (!dispute || dispute.status === 'won' || dispute.status === 'lost') return null;
    if (dispute.status === 'warning_needs_response') {
      dispute.status = 'warning_closed';
      this.notify('charge.dispute.closed', dispute);
      return dispute;
    }
    dispute.status = outcome;
    if (outcome === 'won') this.credit(String(dispute.currency), Number(dispute.amount));
    this.notify('charge.dispute.closed', dispute);
    return dispute;
  }

  /** Only a draft can be deleted (Stripe voids a finalized one instead). */
  private remove(invoice: Invoice): Answer {
    if (invoice.status !== 'draft') {
      return invalid('You can only delete draft invoices.', undefined, 'invoice_not_editable');
    }
    this.invoices.delete(invoice.id);
    // Its items go with it.
    for (const [itemId, item] of this.invoiceItems) {
      if (item.invoice === invoice.id) this.invoiceItems.delete(itemId);
    }
    this.notify('invoice.deleted', invoice);
    return [200, { id: invoice.id, object: 'invoice', deleted: true }];
  }

  private close(
    invoice: Invoice,
    status: 'void' | 'uncollectible',
    stamp: string,
    event: string,
  ): Answer {
    // Stripe voids an uncollectible invoice too (a written-off one it should never take).
    if (invoice.status !== 'open' && !(status === 'void' && invoice.status === 'uncollectible')) {
      return invalid(
        `You cannot do this to an invoice that is ${invoice.status}.`,
        undefined,
        'invoice_not_open',
      );
    }
    invoice.status = status;
    invoice.next_payment_attempt = null;
    invoice.status_transitions[stamp] = now();
    this.notify(event, invoice);
    return [200, invoice];
  }
}

/** Whether the request asked for `field` (`expand[]`: nested in a form body, flat in a query). */
function expands(p: Record<string, unknown>, field: string): boolean {
  const nested = p.expand && typeof p.expand === 'object' ? Object.values(p.expand) : [];
  const flat = Object.entries(p).flatMap(([k, v]) => (k.startsWith('expand[') ? [v] : []));
  return [...nested, ...flat].includes(field);
}

/**
 * An invoice as Stripe answers it: `amount_paid_off_stripe` only when the request expanded it
 * (an answer that did not, like every event, has no such field).
 */
function asAsked(answer: Answer | null, p: Record<string, unknown>): Answer | null {
  if (!answer || answer[0] !== 200 || expands(p, 'amount_paid_off_stripe')) return answer;
  return [answer[0], withoutPaidOffStripe(answer[1] as StripeObject)];
}

/** The invoice without the field Stripe gives only when expanded. */
export function withoutPaidOffStripe(object: StripeObject): StripeObject {
  if (object.object !== 'invoice' || !('amount_paid_off_stripe' in object)) return object;
  const { amount_paid_off_stripe: _omitted, ...rest } = object;
  return rest as StripeObject;
}
