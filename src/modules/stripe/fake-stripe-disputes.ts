import { randomBytes } from 'node:crypto';
import { type Answer, notFound, type StripeObject } from './fake-stripe-billing';

/* Disputes in the fake Stripe: a cardholder's bank disputing a charge that paid an invoice (or
 * only asking first), the money Stripe takes from the platform's balance and gives back, and
 * the events it sends about them. Tests call these in place of the bank. */

const id = (prefix: string) => `${prefix}_${randomBytes(10).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

export class FakeStripeDisputes {
  constructor(
    /** FakeStripeInvoicing.disputes, and the charges they are about. */
    private readonly disputes: Map<string, StripeObject>,
    private readonly charges: Map<string, StripeObject>,
    private readonly notify: (type: string, object: StripeObject) => void,
    /** Money in (positive) or out of (negative) the platform's balance. */
    private readonly credit: (currency: string, amount: number) => void,
  ) {}

  /** Answers a disputes path, or null when the path is not one. */
  route(method: string, path: string): Answer | null {
    const m = /^\/v1\/disputes\/([^/]+)$/.exec(path);
    if (method !== 'GET' || !m) return null;
    const dispute = this.disputes.get(m[1]);
    return dispute ? [200, dispute] : notFound('dispute');
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
}
