import { randomBytes } from 'node:crypto';
import {
  type Answer,
  type FakeStripeBilling,
  notFound,
  type StripeObject,
} from './fake-stripe-billing';
import { type Invoice, invalid } from './fake-stripe-invoice-answers';

/* Draft invoices in the fake Stripe: a draft made for a customer, the invoice items added to it
 * (its lines and total), and a draft deleted with its items. */

const id = (prefix: string) => `${prefix}_${randomBytes(10).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

/** How many invoice items Stripe lets one invoice have. */
export const FAKE_INVOICE_ITEM_LIMIT = 250;

export class FakeStripeInvoiceDrafts {
  constructor(
    private readonly billing: FakeStripeBilling,
    /** FakeStripeInvoicing.invoices and its invoice items. */
    private readonly invoices: Map<string, Invoice>,
    private readonly invoiceItems: Map<string, StripeObject>,
    private readonly notify: (type: string, object: StripeObject) => void,
  ) {}

  create(p: Record<string, unknown>): Answer {
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

  createItem(p: Record<string, unknown>): Answer {
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

  /** Only a draft can be deleted (Stripe voids a finalized one instead). */
  remove(invoice: Invoice): Answer {
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
}
