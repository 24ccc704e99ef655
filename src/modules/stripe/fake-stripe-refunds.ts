import { randomBytes } from 'node:crypto';
import { type Answer, notFound, type StripeObject } from './fake-stripe-billing';

/* Refunds in the fake Stripe: what finance does in Stripe's dashboard (the API path stands for
 * it), a refund of a charge that failed later (the bank returned it), and the events Stripe
 * sends about them. Kept beside the invoicing charges it refunds. */

const id = (prefix: string) => `${prefix}_${randomBytes(10).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);
const invalid = (message: string, param: string, code: string): Answer => [
  400,
  { error: { type: 'invalid_request_error', message, param, code } },
];

export class FakeStripeRefunds {
  readonly refunds = new Map<string, StripeObject>();

  constructor(
    private readonly charges: Map<string, StripeObject>,
    private readonly paymentIntents: Map<string, StripeObject>,
    private readonly notify: (type: string, object: StripeObject) => void,
    /** Money in (positive) or out of (negative) the platform's balance. */
    private readonly credit: (currency: string, amount: number) => void,
  ) {}

  route(method: string, path: string, p: Record<string, unknown>): Answer | null {
    if (method === 'POST' && path === '/v1/refunds') return this.create(p);
    const m = /^\/v1\/refunds\/([^/]+)$/.exec(path);
    if (method === 'GET' && m) {
      const refund = this.refunds.get(m[1]);
      return refund ? [200, refund] : notFound('refund');
    }
    return null;
  }

  /** A refund of a charge (or a payment intent's charge): all that is left of it by default. */
  private create(p: Record<string, unknown>): Answer {
    const intent = p.payment_intent ? this.paymentIntents.get(String(p.payment_intent)) : null;
    const charge = this.charges.get(String(p.charge ?? intent?.latest_charge ?? ''));
    if (!charge) return notFound('charge');
    const left = Number(charge.amount) - Number(charge.amount_refunded ?? 0);
    if (left <= 0) {
      return invalid(
        `Charge ${String(charge.id)} has already been refunded.`,
        'charge',
        'charge_already_refunded',
      );
    }
    const amount = p.amount === undefined ? left : Number(p.amount);
    if (!Number.isInteger(amount) || amount <= 0 || amount > left) {
      return invalid(
        `Refund amount (${String(p.amount)}) is greater than unrefunded amount on charge (${left})`,
        'amount',
        'amount_too_large',
      );
    }
    const refund: StripeObject = {
      id: id('re'),
      object: 'refund',
      amount,
      currency: charge.currency,
      charge: charge.id,
      payment_intent: charge.payment_intent,
      status: 'succeeded',
      created: now(),
    };
    this.refunds.set(String(refund.id), refund);
    this.move(charge, amount);
    this.notify('charge.refunded', charge);
    return [200, refund];
  }

  /** A refund of the charge that paid an invoice (the dashboard's path, for tests). */
  refundInvoice(invoiceId: string, amount?: number): Answer {
    const charge = [...this.charges.values()].find(
      (c) => (c.metadata as Record<string, unknown>).invoice === invoiceId,
    );
    return this.create({ charge: charge?.id, ...(amount === undefined ? {} : { amount }) });
  }

  /**
   * The card's bank sends a refund back (an expired card, a closed account): Stripe puts the
   * money back in the balance, the charge counts it as refunded no more, and it says so
   * (charge.refund.updated).
   */
  fail(refundId: string): StripeObject | null {
    const refund = this.refunds.get(refundId);
    const charge = refund && this.charges.get(String(refund.charge));
    if (!refund || !charge || refund.status !== 'succeeded') return null;
    refund.status = 'failed';
    refund.failure_reason = 'expired_or_canceled_card';
    this.move(charge, -Number(refund.amount));
    this.notify('charge.refund.updated', refund);
    return refund;
  }

  private move(charge: StripeObject, refunded: number): void {
    charge.amount_refunded = Number(charge.amount_refunded ?? 0) + refunded;
    charge.refunded = charge.amount_refunded === charge.amount;
    this.credit(String(charge.currency), -refunded);
  }
}
