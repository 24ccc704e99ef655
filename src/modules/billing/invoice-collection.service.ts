import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Stripe from 'stripe';
import { DataSource, EntityManager } from 'typeorm';
import { DomainError } from '../../common/errors/domain-error';
import { inState } from '../../common/errors/in-state';
import { OutboxService } from '../outbox/outbox.service';
import { callStripe } from '../stripe/stripe-call';
import { KEY_EXPIRY_MS, savedServerError } from '../stripe/stripe-errors';
import { STRIPE } from '../stripe/stripe.module';
import { StripePacer } from '../stripe/stripe-pacer.service';
import { BillingCustomersRepository } from './billing-customers.repository';
import { BillingService } from './billing.service';
import { InvoiceDraftsService } from './invoice-drafts.service';
import { InvoiceReceivablesRepository } from './invoice-receivables.repository';
import { InvoicesRepository } from './invoices.repository';
import { InvoiceStripeStateRepository } from './invoice-stripe-state.repository';
import { InvoiceRow } from './invoice.rows';
import { InvoiceStripeStateService } from './invoice-stripe-state.service';

/**
 * Stripe refusing the charge: the card declined (a failed attempt it counts and retries), or
 * the invoice cannot be charged as it is (no card saved yet). Shown to the company; not retried
 * by our queue, since repeating the call with its key would only replay the refusal.
 */
function isRefusal(
  e: unknown,
): e is Stripe.errors.StripeCardError | Stripe.errors.StripeInvalidRequestError {
  return (
    e instanceof Stripe.errors.StripeCardError ||
    e instanceof Stripe.errors.StripeInvalidRequestError
  );
}

/**
 * An invoice's life at Stripe. Issuing creates it (key `invoice-<id>`), its items (one per
 * line) and finalizes it, each call with a key derived from our row, so a job run again after
 * a crash gets the same objects back; then it is charged to the customer's default card. What
 * Stripe says of the invoice (paid, past due, uncollectible) is applied from Stripe's current
 * state under the row's lock, whichever of our calls or its events brought the news, and the
 * money it moved is booked once (entry keys from the invoice).
 */
@Injectable()
export class InvoiceCollectionService {
  private readonly logger = new Logger(InvoiceCollectionService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(STRIPE) private readonly stripe: Stripe,
    private readonly invoices: InvoicesRepository,
    private readonly stripeState: InvoiceStripeStateRepository,
    private readonly billing: BillingService,
    private readonly outbox: OutboxService,
    private readonly drafts: InvoiceDraftsService,
    private readonly state: InvoiceStripeStateService,
    private readonly receivables: InvoiceReceivablesRepository,
    private readonly customers: BillingCustomersRepository,
    private readonly pacer: StripePacer,
  ) {}

  /** Creates, fills and finalizes the Stripe invoice of a closed period, then charges it. */
  async issue(invoiceId: string): Promise<{ issued: boolean }> {
    const invoice = await this.invoices.find(this.db.manager, invoiceId);
    if (!invoice) return { issued: false };
    // Finalized by a run of this job that died before charging it: charge it (its first
    // attempt's key, so a charge Stripe made meanwhile is handed back, not made again).
    if (invoice.status === 'open' && invoice.attempt_count === 0) {
      await this.pay(invoiceId, 'first');
      return { issued: true };
    }
    if (invoice.status !== 'draft') return { issued: false };
    try {
      await this.issueDraft(invoice);
    } catch (e) {
      if (!savedServerError(e)) throw e;
      // Stripe replays that answer to the call's key for a day, whether or not the call did
      // its work: issued again once the key has expired, each step first finding what an
      // earlier run made (the draft, its items, a finalized invoice).
      const runAt = new Date(Date.now() + KEY_EXPIRY_MS);
      await this.outbox.enqueue(this.db.manager, 'billing.invoice-issue', { invoiceId }, { runAt });
      this.logger.warn(
        { invoiceId, runAt, stripeMessage: e.message },
        "Stripe saved a server error under an invoice call's key; issued again once it expires",
      );
      return { issued: false };
    }
    await this.pay(invoiceId, 'first');
    return { issued: true };
  }

  /** Creates, fills and finalizes the Stripe invoice of a draft of ours. */
  private async issueDraft(invoice: InvoiceRow): Promise<void> {
    const customer = (await this.billing.ensureCustomer(invoice.company_id, null))
      .stripe_customer_id;
    const { draftId, key } = await this.drafts.fill(invoice, customer);
    // Our lines and Stripe's total must agree before it is finalized: finalizing with
    // auto_advance hands the invoice to Stripe's own collection, so a check after it would stop
    // nothing (a coupon or tax set on the customer in Stripe's dashboard changes the total).
    const current = await this.retrieve(draftId);
    checkTotal(current, invoice);
    // Nor may the customer hold a balance at Stripe (credit given, or a debit, in Stripe's
    // dashboard): finalizing applies it, so Stripe would charge more or less than our total,
    // which is what the payment books. Cleared in the dashboard, the issue's retry goes on.
    if (current.status === 'draft') {
      const balance = await this.balanceAtStripe(customer, invoice.currency);
      if (balance !== 0) {
        throw new Error(
          `Stripe customer ${customer} has a balance of ${balance} (${invoice.currency}): finalizing invoice ${invoice.id} would charge ${Number(invoice.total_minor) + balance}, ours ${invoice.total_minor}`,
        );
      }
    }
    // Finalized already by a run whose answer was lost (Stripe refuses to finalize it again).
    const finalized =
      current.status === 'draft'
        ? await this.stripe.invoices.finalizeInvoice(
            draftId,
            { auto_advance: true },
            { idempotencyKey: `${key}-finalize` },
          )
        : current;
    checkTotal(finalized, invoice); // what finalizing computes (tax) shows here, too late to stop
    // Stripe says what of an invoice was paid outside it only when asked (expand), never in
    // events: `current` was read so. Finalizing's answer was not, and asking there would change
    // the parameters of a key earlier runs used; paid at once, it is read again.
    const now =
      finalized === current || finalized.status !== 'paid'
        ? finalized
        : await this.retrieve(draftId);
    await this.db.transaction((em) => this.state.apply(em, invoice.id, now, null));
  }

  /**
   * The customer's balance at Stripe in `currency` (negative: credit), as finalizing an invoice
   * in it would apply it: `balance` is in the customer's default currency only; a balance in
   * another is in `invoice_credit_balance` (positive: credit), given only when expanded.
   */
  private async balanceAtStripe(customer: string, currency: string): Promise<number> {
    const c = await this.stripe.customers.retrieve(customer, {
      expand: ['invoice_credit_balance'],
    });
    if (c.deleted) return 0;
    const code = currency.toLowerCase();
    if (c.currency === code && c.balance !== 0) return c.balance;
    return -(c.invoice_credit_balance?.[code] ?? 0);
  }

  /**
   * Charges an open invoice now (its first attempt, or again after the card changed). Stripe's
   * refusal is recorded on the invoice (its reason; past due once an attempt failed).
   */
  async pay(invoiceId: string, attempt: string): Promise<{ paid: boolean }> {
    const invoice = await this.invoices.find(this.db.manager, invoiceId);
    if (!invoice?.stripe_invoice_id || !['open', 'past_due'].includes(invoice.status)) {
      return { paid: false };
    }
    let refusal: string | null = null;
    let withoutCard = false;
    try {
      await this.stripe.invoices.pay(
        invoice.stripe_invoice_id,
        {},
        { idempotencyKey: `invoice-${invoiceId}-pay-${attempt}` },
      );
    } catch (e) {
      // A server error Stripe saved under the key: whether it charged is unknown, and the
      // invoice as Stripe has it now says (Stripe's own collection goes on retrying it).
      if (!isRefusal(e) && !savedServerError(e)) throw e;
      if (isRefusal(e)) {
        refusal = `${e.code ?? e.type}: ${e.message}`;
        // Not a declined card (Stripe counts that attempt itself), nor another refusal (an
        // invoice being paid on its hosted page meanwhile, say): no card to charge at all.
        withoutCard =
          e instanceof Stripe.errors.StripeInvalidRequestError &&
          !(await this.customers.ofCompany(this.db.manager, invoice.company_id))?.payment_method_id;
      }
    }
    const stripeId = invoice.stripe_invoice_id;
    // The read's turn in Stripe's pace is taken before the locks: waited for under them, it held
    // the company's invoicing lock (its closing, its Stripe events, the other invoices' payments)
    // and a pooled connection for as long as the pace asked.
    const applied = await this.pacer.prepaid(() =>
      this.db.transaction(async (em) => {
        // Read at Stripe under the row's lock, as an event's news is: read before it, a Stripe
        // retry's decline applied meanwhile by its event was overwritten by this older read (its
        // attempt count, next try and reason went back).
        await this.invoices.lockForBooking(em, { id: invoiceId });
        const now = await this.retrieve(stripeId);
        return this.state.apply(em, invoiceId, now, refusal, withoutCard);
      }),
    );
    return { paid: applied?.status === 'paid' };
  }

  /**
   * Finance writes an unpaid invoice off: Stripe marks it uncollectible (no more retries) and
   * the receivable goes to bad debt. Who asked and why are kept on the invoice first, so the
   * entry names them whether our call's answer or Stripe's event books it (or a retry's, after
   * a crash between the call and the booking).
   */
  async writeOff(invoiceId: string, by: string, reason: string): Promise<InvoiceRow> {
    const invoice = await this.invoices.find(this.db.manager, invoiceId);
    if (!invoice) throw DomainError.notFound('Invoice');
    const unpaid = () =>
      new DomainError(
        'INVOICE_STATE',
        `${inState(invoice.status, 'invoice')} cannot be written off; only an unpaid one at Stripe can`,
        { status: invoice.status },
      );
    // The ask kept on the invoice, by the same person in the same words: done, not 409. It is
    // how the retry of a write-off whose Stripe answer was lost (a 503, its key freed) is
    // answered when Stripe's event booked it first; a deliberate repeat is answered alike.
    if (
      invoice.status === 'uncollectible' &&
      invoice.write_off_requested_by === by &&
      invoice.write_off_reason === reason
    ) {
      return invoice;
    }
    if (!invoice.stripe_invoice_id || !['open', 'past_due'].includes(invoice.status)) {
      throw unpaid();
    }
    if (!(await this.receivables.requestWriteOff(this.db.manager, invoiceId, by, reason))) {
      throw unpaid();
    }
    let marked: Stripe.Invoice;
    try {
      marked = await callStripe(() =>
        this.markUncollectible(invoiceId, invoice.stripe_invoice_id!),
      );
    } catch (e) {
      // Refused (paid meanwhile, say): not written off, and a write-off made later in Stripe's
      // dashboard is not this request. (Unanswered, Stripe may have done it: kept.)
      if (e instanceof DomainError && e.code === 'CONFLICT') {
        await this.receivables.withdrawWriteOff(this.db.manager, invoiceId, by);
      }
      throw e;
    }
    return (await this.db.transaction((em) => this.state.apply(em, invoiceId, marked, null)))!;
  }

  /**
   * A state at Stripe, not money: after a server error Stripe saved under the key (replayed for
   * a day), the invoice as Stripe has it says whether the call did it, else it is marked under
   * a key of this attempt.
   */
  private async markUncollectible(invoiceId: string, stripeId: string): Promise<Stripe.Invoice> {
    const mark = (key: string) =>
      this.stripe.invoices.markUncollectible(stripeId, {}, { idempotencyKey: key });
    try {
      return await mark(`invoice-${invoiceId}-uncollectible`);
    } catch (e) {
      if (!savedServerError(e)) throw e;
      const now = await this.stripe.invoices.retrieve(stripeId);
      return now.status === 'uncollectible'
        ? now
        : mark(`invoice-${invoiceId}-uncollectible-${randomUUID()}`);
    }
  }

  /** A Stripe `invoice.*` event: the invoice as Stripe has it now, under our row's lock. */
  async applyEvent(em: EntityManager, type: string, stripeInvoice: Stripe.Invoice): Promise<void> {
    if (!stripeInvoice.id) return;
    const row = await this.invoices.lockByStripeId(em, stripeInvoice.id);
    if (!row) return; // not one of ours (or not yet stored: our issue job applies it)
    if (type === 'invoice.deleted') {
      // Someone deleted our draft in Stripe's dashboard (only a draft can be): issue it again,
      // as a new draft (a retrieve would answer 404, and the issue job would get the deleted
      // draft back under its old key for a day).
      if (await this.stripeState.forgetDeletedDraft(em, row.id, stripeInvoice.id)) {
        this.logger.warn(
          { invoiceId: row.id, stripeInvoiceId: stripeInvoice.id },
          'the Stripe draft of an invoice was deleted at Stripe; issuing a new one',
        );
        await this.outbox.enqueue(em, 'billing.invoice-issue', { invoiceId: row.id });
      }
      return;
    }
    const now = await this.retrieve(stripeInvoice.id);
    await this.state.apply(em, row.id, now, null);
  }

  /** The invoice as Stripe has it, with what of it was paid outside Stripe (not in events). */
  private retrieve(stripeId: string): Promise<Stripe.Invoice> {
    return this.stripe.invoices.retrieve(stripeId, { expand: ['amount_paid_off_stripe'] });
  }
}

/** Stripe's total of the invoice is ours, or the issue stops (and its job fails, logged). */
function checkTotal(s: Stripe.Invoice, ours: InvoiceRow): void {
  if (Number(s.total) !== Number(ours.total_minor)) {
    throw new Error(`Stripe invoice ${s.id} totals ${s.total}, ours ${ours.total_minor}`);
  }
}
