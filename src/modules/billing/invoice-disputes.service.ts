import { Inject, Injectable } from '@nestjs/common';
import Stripe from 'stripe';
import { EntityManager } from 'typeorm';
import { LedgerService } from '../ledger/ledger.service';
import { STRIPE } from '../stripe/stripe.module';
import { CreditControlService } from './credit-control.service';
import { InvoicesRepository } from './invoices.repository';

/**
 * A company disputes the charge that paid an invoice. When Stripe opens the dispute it takes
 * the amount from the platform's balance: booked as held (platform_disputes, out of
 * platform_cash). When it closes: won, the money comes back to cash; lost, it stays with the
 * company, which owes it again (company_receivable), for finance to collect or credit (a
 * credit note). Each step booked once (keys from the dispute), from Stripe's current state of
 * the dispute, whichever event brought it. An inquiry, which takes nothing, is recorded on the
 * invoice and booked only if it becomes a dispute.
 */
@Injectable()
export class InvoiceDisputesService {
  constructor(
    @Inject(STRIPE) private readonly stripe: Stripe,
    private readonly invoices: InvoicesRepository,
    private readonly ledger: LedgerService,
    private readonly credit: CreditControlService,
  ) {}

  /** A `charge.dispute.*` event, inside the event job's transaction. */
  async applyEvent(em: EntityManager, event: Stripe.Dispute): Promise<void> {
    // The charge a dispute is about never changes: the event's copy finds the invoice.
    const intent =
      typeof event.payment_intent === 'string' ? event.payment_intent : event.payment_intent?.id;
    if (!intent) return;
    const payments = await this.stripe.invoicePayments.list({
      payment: { type: 'payment_intent', payment_intent: intent },
    });
    const paid = payments.data[0];
    if (!paid) return; // not an invoice's charge: not ours
    const stripeInvoiceId = typeof paid.invoice === 'string' ? paid.invoice : paid.invoice.id!;
    const invoice = await this.invoices.lockByStripeId(em, stripeInvoiceId);
    if (!invoice) return;
    // Its state as Stripe has it now, read under the invoice's lock: of two events applied
    // together, the one that writes last also read last (an older read committing after a
    // newer one set a lost dispute back to needs_response, and refused its credit note).
    const dispute = await this.stripe.disputes.retrieve(event.id);
    const amount = dispute.amount;
    const common = {
      currency: invoice.currency,
      companyId: invoice.company_id,
      memo: `Stripe dispute ${dispute.id} (${dispute.reason}) on invoice ${invoice.number ?? stripeInvoiceId}`,
    };
    await this.invoices.setDispute(em, invoice.id, dispute.id, dispute.status, amount);
    // An inquiry (warning_needs_response, warning_under_review, warning_closed) takes no money:
    // Stripe withdraws it only if the inquiry becomes a dispute, whose next event books it.
    if (dispute.status.startsWith('warning_')) return;
    await this.ledger.post(em, {
      ...common,
      kind: 'dispute',
      idempotencyKey: `dispute-held:${dispute.id}`,
      lines: [
        { account: 'platform_disputes', ownerId: null, amountMinor: amount },
        { account: 'platform_cash', ownerId: null, amountMinor: -amount },
      ],
    });
    if (dispute.status === 'won') {
      await this.ledger.post(em, {
        ...common,
        kind: 'dispute_resolution',
        idempotencyKey: `dispute-closed:${dispute.id}`,
        lines: [
          { account: 'platform_cash', ownerId: null, amountMinor: amount },
          { account: 'platform_disputes', ownerId: null, amountMinor: -amount },
        ],
      });
    } else if (dispute.status === 'lost') {
      await this.ledger.post(em, {
        ...common,
        kind: 'dispute_resolution',
        idempotencyKey: `dispute-closed:${dispute.id}`,
        lines: [
          { account: 'company_receivable', ownerId: invoice.company_id, amountMinor: amount },
          { account: 'platform_disputes', ownerId: null, amountMinor: -amount },
        ],
      });
      // Owed again: credit control sees it.
      await this.credit.standing(em, invoice.company_id);
    }
  }
}
