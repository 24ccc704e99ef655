import { Inject, Injectable } from '@nestjs/common';
import Stripe from 'stripe';
import { EntityManager } from 'typeorm';
import { LedgerService, PostingLine } from '../ledger/ledger.service';
import { STRIPE } from '../stripe/stripe.module';
import { CreditControlService } from './credit-control.service';
import { LOST_DISPUTE } from './dispute-rebill-steps';
import { DisputeRebillsService } from './dispute-rebills.service';
import { InvoicesRepository } from './invoices.repository';
import { PaidInvoicesRepository } from './paid-invoices.repository';
import { InvoiceRow } from './invoice.rows';
import { WithheldCreditsService } from './withheld-credits.service';

/**
 * A company disputes the charge that paid an invoice. When Stripe opens the dispute it takes
 * the amount from the platform's balance: booked as held (platform_disputes, out of
 * platform_cash). When it closes: won, the money comes back to cash; lost, it stays with the
 * company, which owes it again (company_receivable), for finance to collect or credit (a
 * credit note). Each step booked once (keys from the dispute), from Stripe's current state of
 * the dispute, whichever event brought it. An inquiry, which takes nothing, is recorded on the
 * invoice and booked only if it becomes a dispute; so is a prevented one (stopped before it
 * became a chargeback: what the cardholder gets back is a refund, booked as one) and any status
 * Stripe adds later. A lost dispute under appeal stays lost until the appeal is decided; won on
 * appeal, the money comes back and what the loss booked is undone (appealWon).
 */

/** Statuses in which Stripe has taken the disputed amount from the platform's balance. */
const TAKEN = new Set([
  'needs_response',
  'under_review',
  'won',
  'lost',
  'appeal_needs_response',
  'appeal_under_review',
]);

@Injectable()
export class InvoiceDisputesService {
  constructor(
    @Inject(STRIPE) private readonly stripe: Stripe,
    private readonly invoices: InvoicesRepository,
    private readonly paid: PaidInvoicesRepository,
    private readonly ledger: LedgerService,
    private readonly credit: CreditControlService,
    private readonly withheld: WithheldCreditsService,
    private readonly rebills: DisputeRebillsService,
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
    const before = invoice.dispute_id === dispute.id ? invoice.dispute_status : null;
    await this.paid.setDispute(em, invoice.id, dispute.id, dispute.status, amount);
    // An inquiry (warning_needs_response, warning_under_review, warning_closed) takes no money:
    // Stripe withdraws it only if the inquiry becomes a dispute, whose next event books it.
    if (!TAKEN.has(dispute.status)) return;
    await this.ledger.post(em, {
      ...common,
      kind: 'dispute',
      idempotencyKey: `dispute-held:${dispute.id}`,
      lines: [
        { account: 'platform_disputes', ownerId: null, amountMinor: amount },
        { account: 'platform_cash', ownerId: null, amountMinor: -amount },
      ],
    });
    if (dispute.status === 'won' && before !== null && LOST_DISPUTE.has(before)) {
      await this.appealWon(em, invoice, dispute.id, amount, common.memo);
    } else if (dispute.status === 'won') {
      // Won on appeal, and this is its event again (the status stored is `won` by now): the
      // loss holds `dispute-closed`, and the appeal booked the money's return.
      if (await this.ledger.posted(em, `dispute-appeal-won:${dispute.id}`)) return;
      await this.ledger.post(em, {
        ...common,
        kind: 'dispute_resolution',
        idempotencyKey: `dispute-closed:${dispute.id}`,
        lines: [
          { account: 'platform_cash', ownerId: null, amountMinor: amount },
          { account: 'platform_disputes', ownerId: null, amountMinor: -amount },
        ],
      });
    } else if (LOST_DISPUTE.has(dispute.status)) {
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

  /**
   * Won on appeal after it was lost: Stripe puts the money back in the balance, and what the
   * loss made owed again is undone as finance left it. Still owed: the receivable is settled.
   * Credited (a credit note let it go as bad debt): the bad debt is recovered. Billed again on a
   * later invoice: credited back on the next one (net zero if both fall on one invoice), as far
   * as the company pays or paid that charge too (DisputeRebillsService).
   */
  private async appealWon(
    em: EntityManager,
    invoice: InvoiceRow,
    disputeId: string,
    amount: number,
    memo: string,
  ): Promise<void> {
    const credited = Math.min(Number(invoice.credited_minor), amount);
    const rebilled = Math.min(Number(invoice.rebilled_minor), amount - credited);
    const owed = amount - credited - rebilled;
    const common = { currency: invoice.currency, companyId: invoice.company_id };
    await this.ledger.post(em, {
      ...common,
      kind: 'dispute_resolution',
      idempotencyKey: `dispute-appeal-won:${disputeId}`,
      memo: `${memo}: won on appeal`,
      lines: (
        [
          { account: 'platform_cash', ownerId: null, amountMinor: amount },
          { account: 'company_receivable', ownerId: invoice.company_id, amountMinor: -owed },
          { account: 'platform_bad_debt', ownerId: null, amountMinor: -credited },
          { account: 'platform_disputes', ownerId: null, amountMinor: -rebilled },
        ] satisfies PostingLine[]
      ).filter((l) => l.amountMinor !== 0),
    });
    // Credits of its reopened tickets withheld for the credit note's sake: the company paid
    // after all, so they are its again (as when a written-off invoice is paid).
    await this.withheld.restore(em, invoice);
    if (rebilled > 0) await this.rebills.appealWon(em, invoice, disputeId, rebilled, memo);
    await this.credit.standing(em, invoice.company_id);
  }
}
