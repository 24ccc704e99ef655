import { Injectable, Logger } from '@nestjs/common';
import Stripe from 'stripe';
import { EntityManager } from 'typeorm';
import { LedgerService } from '../ledger/ledger.service';
import { CreditControlService } from './credit-control.service';
import { DisputeRebillsService } from './dispute-rebills.service';
import { InvoicesRepository } from './invoices.repository';
import { InvoiceStripeStateRepository } from './invoice-stripe-state.repository';
import { InvoiceRow, InvoiceStatus } from './invoice.rows';
import { UnchargedInvoicesService } from './uncharged-invoices.service';
import { WithheldCreditsService } from './withheld-credits.service';

const seconds = (s: number | null | undefined) => (s ? new Date(s * 1000) : null);

/**
 * What Stripe says of one of our invoices (paid, past due, uncollectible, void), applied under
 * the row's lock and booked once, whichever of our calls or Stripe's events brought the news
 * (InvoiceCollectionService reads Stripe and calls this in its transaction).
 */
@Injectable()
export class InvoiceStripeStateService {
  private readonly logger = new Logger(InvoiceStripeStateService.name);

  constructor(
    private readonly invoices: InvoicesRepository,
    private readonly stripeState: InvoiceStripeStateRepository,
    private readonly ledger: LedgerService,
    private readonly credit: CreditControlService,
    private readonly withheld: WithheldCreditsService,
    private readonly rebills: DisputeRebillsService,
    private readonly uncharged: UnchargedInvoicesService,
  ) {}

  /**
   * Applies Stripe's state of the invoice and books what it moved: paid → the receivable
   * settled into the platform's Stripe cash; uncollectible → written off. Each booking has a
   * key from the invoice, so news arriving twice (our call, then its event) books once.
   */
  async apply(
    em: EntityManager,
    invoiceId: string,
    s: Stripe.Invoice,
    refusal: string | null,
    /** Our charge was refused for want of a card: a failed attempt Stripe does not count. */
    refusedWithoutCard = false,
  ): Promise<InvoiceRow | undefined> {
    const current = await this.invoices.lockForBooking(em, { id: invoiceId });
    if (!current) return undefined;
    const status = statusOf(s, {
      refusedWithoutCard,
      wasPastDue: current.past_due_since !== null,
    });
    if (UnchargedInvoicesService.isUncharged(s)) {
      // Below Stripe's smallest charge: carried by us, not booked as paid (see the service).
      return (await this.uncharged.carry(em, invoiceId, s)) ?? current;
    }
    const row = await this.stripeState.applyStripeState(em, invoiceId, {
      status,
      stripeInvoiceId: s.id!,
      number: s.number ?? null,
      hostedInvoiceUrl: s.hosted_invoice_url ?? null,
      attemptCount: s.attempt_count,
      nextPaymentAttempt: seconds(s.next_payment_attempt),
      lastPaymentError: status === 'paid' ? null : (refusal ?? current.last_payment_error),
      paidAt: seconds(s.status_transitions?.paid_at),
    });
    if (!row) return current; // ours was final already
    const amount = Number(row.total_minor);
    const common = {
      currency: row.currency,
      companyId: row.company_id,
    };
    if (status === 'paid') {
      // Paid after it was written off (through its hosted page, or a charge that raced the
      // write-off): the money recovers the bad debt; the receivable was settled by the write-off.
      const recovered = current.status === 'uncollectible';
      // What reached the platform's Stripe balance. The rest of our total was settled outside
      // it: paid outside Stripe (marked so in its dashboard), or a credit on the customer's
      // Stripe balance applied by a finalization in the dashboard (our own issue stops first).
      // Before, the whole total was booked as Stripe cash whatever Stripe had collected.
      // (A debit on the customer's Stripe balance, added to the invoice there, makes it more
      // than our total: the cash is booked as Stripe has it, the difference negative.)
      const cash = s.amount_paid - (s.amount_paid_off_stripe ?? 0);
      const outside = amount - cash;
      if (outside !== 0) {
        this.logger.warn(
          { invoiceId: row.id, stripeInvoiceId: s.id, totalMinor: amount, cashMinor: cash },
          'an invoice was paid partly or wholly outside Stripe; booked as settled outside',
        );
      }
      await this.ledger.post(em, {
        ...common,
        kind: 'invoice_payment',
        idempotencyKey: `invoice-payment:${row.id}`,
        memo:
          (recovered
            ? `Stripe invoice ${s.id} paid after it was written off`
            : `Stripe invoice ${s.id} paid`) +
          (outside !== 0 ? `; ${outside} of it settled outside Stripe's balance` : ''),
        lines: [
          ...(cash !== 0
            ? [{ account: 'platform_cash' as const, ownerId: null, amountMinor: cash }]
            : []),
          ...(outside !== 0
            ? [
                {
                  account: 'platform_settled_outside' as const,
                  ownerId: null,
                  amountMinor: outside,
                },
              ]
            : []),
          recovered
            ? { account: 'platform_bad_debt', ownerId: null, amountMinor: -amount }
            : { account: 'company_receivable', ownerId: row.company_id, amountMinor: -amount },
        ],
      });
      if (recovered) {
        await this.withheld.restore(em, row);
        await this.rebills.paidAfterAll(em, row);
      }
      // Whether or not late: a paid bill-back completes a restore left for it.
      await this.withheld.restoreBilledBackOn(em, row);
    } else if (status === 'uncollectible' || status === 'void') {
      // Voided in Stripe's dashboard: Stripe will never collect it (void is final there), so the
      // receivable is written off as for an uncollectible one, under the same key (Stripe can
      // void an invoice already marked uncollectible: booked once).
      await this.ledger.post(em, {
        ...common,
        kind: 'write_off',
        idempotencyKey: `invoice-write-off:${row.id}`,
        // Finance's request, whichever of our call and Stripe's event applies it; else done in
        // Stripe's dashboard.
        memo: row.write_off_reason
          ? `Written off by finance: ${row.write_off_reason}`
          : `Stripe invoice ${s.id} ${status === 'void' ? 'voided' : 'marked uncollectible'}`,
        createdBy: row.write_off_requested_by,
        lines: [
          { account: 'platform_bad_debt', ownerId: null, amountMinor: amount },
          { account: 'company_receivable', ownerId: row.company_id, amountMinor: -amount },
        ],
      });
      await this.withheld.withhold(em, row);
      await this.rebills.writtenOff(em, row);
    }
    // Paid, or past due long enough: the company's hold may change with it.
    await this.credit.standing(em, row.company_id);
    return row;
  }
}

/**
 * Ours from Stripe's: an open invoice with a failed attempt is past due. Ours counts too when
 * the company has no card saved: Stripe refuses the charge without counting an attempt, and
 * retries none, so the invoice stayed open for good, and its company was never held for
 * it however long it stayed unpaid (a declining card was, after the grace). Once past due, an
 * open invoice stays so (Stripe's count never goes back: an "open" read is older news).
 */
function statusOf(
  s: Stripe.Invoice,
  ours: { refusedWithoutCard: boolean; wasPastDue: boolean },
): InvoiceStatus {
  if (s.status === 'paid') return 'paid';
  if (s.status === 'void') return 'void';
  if (s.status === 'uncollectible') return 'uncollectible';
  if (s.status === 'open') {
    return s.attempt_count > 0 || ours.refusedWithoutCard || ours.wasPastDue ? 'past_due' : 'open';
  }
  return 'draft';
}
