import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Stripe from 'stripe';
import { DataSource, EntityManager } from 'typeorm';
import { OutboxService } from '../outbox/outbox.service';
import { STRIPE } from '../stripe/stripe.module';
import { InvoicesRepository } from './invoices.repository';
import { InvoiceStripeStateRepository } from './invoice-stripe-state.repository';
import { InvoiceRow } from './invoice.rows';

/**
 * Invoices Stripe marked paid without charging them. Below Stripe's smallest charge in their
 * currency, finalizing marks an invoice paid, charges nothing, and moves its amount onto the
 * customer's Stripe balance as a debit, which Stripe adds to the customer's next invoice. Our
 * closing carries such totals itself (minimum-charge.ts), but knows Stripe's minimum only for
 * the currencies Stripe lists one for; for the others Stripe's rule is the equivalent of
 * USD 0.50 at the day's rate. So an invoice Stripe declines to charge is carried as a closing
 * below our minimum would have carried it: it charges nothing, its total goes to the next
 * invoice, and the debit at Stripe is taken off again (a balance transaction, keyed and found
 * again by its metadata). Otherwise it would be booked as settled outside Stripe (forgiven),
 * and the next invoice's issue would stop at the customer's balance.
 */
@Injectable()
export class UnchargedInvoicesService {
  private readonly logger = new Logger(UnchargedInvoicesService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(STRIPE) private readonly stripe: Stripe,
    private readonly invoices: InvoicesRepository,
    private readonly stripeState: InvoiceStripeStateRepository,
    private readonly outbox: OutboxService,
  ) {}

  /**
   * Stripe finalized the invoice as paid with nothing charged and its whole total left on the
   * customer's balance. Our issue finalizes only with the customer's balance at zero, so any
   * other shape (a credit or debit given in Stripe's dashboard) is not this case.
   */
  static isUncharged(s: Stripe.Invoice): boolean {
    return (
      s.status === 'paid' &&
      s.total > 0 &&
      s.amount_paid === 0 &&
      (s.amount_paid_off_stripe ?? 0) === 0 &&
      s.starting_balance === 0 &&
      s.ending_balance === s.total
    );
  }

  /** In the caller's transaction, under the invoice's lock: carried, and Stripe's debit undone. */
  async carry(
    em: EntityManager,
    invoiceId: string,
    s: Stripe.Invoice,
  ): Promise<InvoiceRow | undefined> {
    const row = await this.stripeState.carryUncharged(em, invoiceId, {
      stripeInvoiceId: s.id!,
      number: s.number ?? null,
      hostedInvoiceUrl: s.hosted_invoice_url ?? null,
    });
    if (!row) return undefined;
    this.logger.warn(
      { invoiceId, stripeInvoiceId: s.id, currency: row.currency, carriedMinor: s.total },
      'Stripe marked an invoice paid without charging it (below its smallest charge in the currency); carried to the next invoice',
    );
    await this.outbox.enqueue(em, 'billing.uncharged-clear', { invoiceId });
    return row;
  }

  /**
   * Takes the debit Stripe left on the customer's balance for the invoice off again, once: an
   * earlier run's transaction is found by its metadata (a key is replayed for a day only).
   */
  async clear(invoiceId: string): Promise<{ cleared: boolean }> {
    const row = await this.invoices.find(this.db.manager, invoiceId);
    if (!row?.stripe_invoice_id || row.status !== 'no_charge') return { cleared: false };
    const s = await this.stripe.invoices.retrieve(row.stripe_invoice_id);
    const customer = typeof s.customer === 'string' ? s.customer : s.customer!.id;
    const earlier = await this.stripe.customers
      .listBalanceTransactions(customer, { limit: 100 })
      .autoPagingToArray({ limit: 10_000 });
    if (earlier.some((t) => t.metadata?.handoff_uncharged_invoice === invoiceId)) {
      return { cleared: false };
    }
    await this.stripe.customers.createBalanceTransaction(
      customer,
      {
        amount: -s.total,
        currency: row.currency.toLowerCase(),
        description: `Invoice ${s.number ?? s.id} was below the smallest charge: Handoff carries it to the next invoice`,
        metadata: { handoff_uncharged_invoice: invoiceId },
      },
      { idempotencyKey: `invoice-${invoiceId}-uncharged-clear` },
    );
    return { cleared: true };
  }
}
