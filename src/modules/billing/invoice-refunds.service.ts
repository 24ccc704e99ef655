import { Inject, Injectable } from '@nestjs/common';
import Stripe from 'stripe';
import { EntityManager } from 'typeorm';
import { LedgerService } from '../ledger/ledger.service';
import { STRIPE } from '../stripe/stripe.module';
import { InvoicesRepository } from './invoices.repository';
import { PaidInvoicesRepository } from './paid-invoices.repository';

/**
 * A refund of the charge that paid an invoice, made in Stripe's dashboard: goodwill finance
 * gives back (Handoff's API has no refund; a credit note only moves the ledger). The money
 * leaves the platform's Stripe balance, so it leaves `platform_cash` for `platform_refunds`:
 * given, not owed again (a lost dispute is owed again; a refund is our decision). The charge's
 * `amount_refunded`, read from Stripe under the invoice's lock, is the truth; what changed
 * since the invoice last recorded it is booked, once per event. A refund that fails later
 * (Stripe puts the money back and lowers `amount_refunded`) books the difference back in.
 */
@Injectable()
export class InvoiceRefundsService {
  constructor(
    @Inject(STRIPE) private readonly stripe: Stripe,
    private readonly invoices: InvoicesRepository,
    private readonly paid: PaidInvoicesRepository,
    private readonly ledger: LedgerService,
  ) {}

  /**
   * `charge.refunded` (a Charge) or `charge.refund.updated` (a Refund), inside the event job's
   * transaction. A charge that paid no invoice of ours is not ours.
   */
  async applyEvent(
    em: EntityManager,
    eventId: string,
    object: Stripe.Charge | Stripe.Refund,
  ): Promise<void> {
    const chargeId =
      object.object === 'refund'
        ? typeof object.charge === 'string'
          ? object.charge
          : object.charge?.id
        : object.id;
    const intent =
      typeof object.payment_intent === 'string' ? object.payment_intent : object.payment_intent?.id;
    if (!chargeId || !intent) return;
    const payments = await this.stripe.invoicePayments.list({
      payment: { type: 'payment_intent', payment_intent: intent },
    });
    const paid = payments.data[0];
    if (!paid) return;
    const stripeInvoiceId = typeof paid.invoice === 'string' ? paid.invoice : paid.invoice.id!;
    const invoice = await this.invoices.lockByStripeId(em, stripeInvoiceId);
    if (!invoice) return;
    // Read under the invoice's lock: of two events applied together, the one that writes last
    // also read last, so the stored amount is never older than one already booked.
    const charge = await this.stripe.charges.retrieve(chargeId);
    const before = Number(invoice.refunded_minor);
    const change = charge.amount_refunded - before;
    if (change === 0) return;
    const { created } = await this.ledger.post(em, {
      currency: invoice.currency,
      companyId: invoice.company_id,
      kind: 'refund',
      idempotencyKey: `refund:${eventId}`,
      memo: `Stripe refund of charge ${charge.id} on invoice ${invoice.number ?? stripeInvoiceId}: ${charge.amount_refunded} refunded in all`,
      lines: [
        { account: 'platform_refunds', ownerId: null, amountMinor: change },
        { account: 'platform_cash', ownerId: null, amountMinor: -change },
      ],
    });
    // Booked by this event before (its job ran again): the amount it recorded stands.
    if (created) await this.paid.setRefunded(em, invoice.id, charge.amount_refunded);
  }
}
