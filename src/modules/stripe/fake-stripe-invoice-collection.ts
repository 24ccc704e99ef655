import { randomBytes } from 'node:crypto';
import { minimumChargeMinor } from '../../common/money/minimum-charge';
import type { Answer, FakeStripeBilling, StripeObject } from './fake-stripe-billing';
import { type Invoice, invalid } from './fake-stripe-invoice-answers';

/* Collecting an invoice in the fake Stripe: finalizing it (the customer's balance applied, an
 * amount below the smallest charge moved onto that balance), paying it by card (or declined, as
 * a test asks) or out of band, voiding it or marking it uncollectible, with Stripe's events. */

const id = (prefix: string) => `${prefix}_${randomBytes(10).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

/**
 * Stripe's smallest charge as the fake applies it: Handoff's table (the currencies Stripe lists
 * a minimum for), and for a currency Stripe lists none for, its rule (the equivalent of
 * USD 0.50) at some day's rate. Handoff's table cannot know those, so tests can show what an
 * invoice below one does.
 */
const UNLISTED_MINIMUM_MINOR: Readonly<Record<string, number>> = { ZAR: 900 };
const stripeMinimumMinor = (currency: string) =>
  UNLISTED_MINIMUM_MINOR[currency.toUpperCase()] ?? minimumChargeMinor(currency);

/** Stripe's Smart Retries try again days later; the fake says when, and retries on `pay`. */
const RETRY_AFTER_SECONDS = 3 * 24 * 3600;

export const DECLINE_CODES = ['card_declined', 'insufficient_funds'] as const;
export type DeclineCode = (typeof DECLINE_CODES)[number];

/** What paying an invoice writes and reads: FakeStripeInvoicing's own collections. */
export interface PaymentRecords {
  readonly charges: Map<string, StripeObject>;
  readonly paymentIntents: Map<string, StripeObject>;
  readonly invoicePayments: StripeObject[];
  readonly declines: Map<string, DeclineCode>;
}

export class FakeStripeInvoiceCollection {
  /** Invoices finalized so far: the last number given. */
  numbered = 0;

  constructor(
    private readonly billing: FakeStripeBilling,
    private readonly records: PaymentRecords,
    private readonly base: () => string,
    private readonly notify: (type: string, object: StripeObject) => void,
    private readonly credit: (currency: string, amount: number) => void,
  ) {}

  finalize(invoice: Invoice, p: Record<string, unknown>): Answer {
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
  pay(invoice: Invoice, p: Record<string, unknown>): Answer {
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
    const decline = pm ? this.records.declines.get(pm) : undefined;
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
    if (due > 0) this.charge(invoice, due, pm!);
    return this.paid(invoice);
  }

  /** A charge of the card pays `due`: its payment intent, the invoice payment, the balance. */
  private charge(invoice: Invoice, due: number, pm: string): void {
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
    this.records.charges.set(charge.id, charge);
    this.records.paymentIntents.set(intentId, {
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
    this.records.invoicePayments.push({
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

  close(invoice: Invoice, status: 'void' | 'uncollectible', stamp: string, event: string): Answer {
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
