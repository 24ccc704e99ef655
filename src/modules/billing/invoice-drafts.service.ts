import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { STRIPE } from '../stripe/stripe.module';
import { InvoicesRepository } from './invoices.repository';
import { InvoiceStripeStateRepository } from './invoice-stripe-state.repository';
import { InvoiceLineRow, InvoiceRow } from './invoice.rows';
import { periodDays } from './local-day';

/** Stripe takes at most 250 items on one invoice. */
export const STRIPE_INVOICE_ITEM_LIMIT = 250;

/**
 * The Stripe items of our lines: one each, up to Stripe's limit; past it, the lines beyond the
 * limit's last item are summed into that item, which says how many it holds (our invoice keeps
 * every line, and its page lists them). A company on hourly shifts round the clock has ~744 a
 * month, and an invoice Stripe refuses could never be issued.
 */
export function stripeItemsOf(
  lines: InvoiceLineRow[],
): { position: string; amountMinor: number; description: string }[] {
  const one = (l: InvoiceLineRow) => ({
    position: String(l.position),
    amountMinor: Number(l.amount_minor),
    description: l.description,
  });
  if (lines.length <= STRIPE_INVOICE_ITEM_LIMIT) return lines.map(one);
  const kept = lines.slice(0, STRIPE_INVOICE_ITEM_LIMIT - 1);
  const rest = lines.slice(STRIPE_INVOICE_ITEM_LIMIT - 1);
  return [
    ...kept.map(one),
    {
      position: `${rest[0].position}+`,
      amountMinor: rest.reduce((sum, l) => sum + Number(l.amount_minor), 0),
      description: `${rest.length} more lines (${rest[0].position}–${rest[rest.length - 1].position}), each on the invoice's page`,
    },
  ];
}

/**
 * The Stripe draft of one of our invoices, made and filled with keyed calls: a run again after
 * a crash gets the same draft and items back. The keys carry how many drafts were deleted at
 * Stripe (`stripe_drafts_deleted`): the first keys would hand a deleted one back for a day.
 */
@Injectable()
export class InvoiceDraftsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(STRIPE) private readonly stripe: Stripe,
    private readonly invoices: InvoicesRepository,
    private readonly stripeState: InvoiceStripeStateRepository,
  ) {}

  /**
   * Creates (or gets back) the draft with one item per line of ours; returns its id and the key
   * its calls went under (finalizing goes under the same).
   */
  async fill(invoice: InvoiceRow, customer: string): Promise<{ draftId: string; key: string }> {
    const invoiceId = invoice.id;
    const lines = await this.invoices.linesOf(this.db.manager, [invoiceId]);
    const currency = invoice.currency.toLowerCase();
    const deleted = invoice.stripe_drafts_deleted;
    const key = deleted ? `invoice-${invoiceId}-draft-${deleted + 1}` : `invoice-${invoiceId}`;
    // Made by an earlier run whose answer was lost past its key's life (a server error Stripe
    // saved under the key: issued again a day later, when the key would make another).
    const earlier = await this.madeEarlier(invoice, customer);
    const draft =
      earlier ??
      (await this.stripe.invoices.create(
        {
          customer,
          currency,
          collection_method: 'charge_automatically',
          auto_advance: false,
          pending_invoice_items_behavior: 'exclude',
          description: `Handoff: resolved tickets, ${periodDays(invoice.period_start, invoice.period_end, invoice.time_zone)}`,
          metadata: { invoiceId, companyId: invoice.company_id },
        },
        { idempotencyKey: key },
      ));
    const draftId = draft.id!;
    // Stored before anything can charge it: an event about this Stripe invoice (paid once it is
    // finalized) finds our row even if this job dies before applying Stripe's answer. Not
    // stored: a draft was deleted at Stripe since this job read our row, and its event queued
    // the issue again (that job finds this draft and fills it); this one must not finalize it
    // beside that one's.
    if (!(await this.stripeState.setStripeDraft(this.db.manager, invoiceId, draftId, deleted))) {
      throw new Error(
        `Invoice ${invoiceId} moved on while it was being issued (a Stripe draft deleted, or issued by another job): left to the job that issues it now`,
      );
    }
    try {
      await this.addItems(invoiceId, draftId, customer, currency, key, lines);
    } catch (e) {
      // Deleted at Stripe before our row knew its id (so its invoice.deleted event found no
      // row), and handed back by its key: forgotten, so the next attempt makes a new one.
      if (!(await this.isGone(e, draftId))) throw e;
      await this.stripeState.forgetDeletedDraft(this.db.manager, invoiceId, draftId);
      throw new Error(`Stripe draft ${draftId} of invoice ${invoiceId} was deleted at Stripe`);
    }
    return { draftId, key };
  }

  /**
   * The Stripe invoice an earlier run made for ours: the one our row stores, or one of the
   * customer's drafts carrying our id (made by a call whose answer was a saved server error).
   */
  private async madeEarlier(invoice: InvoiceRow, customer: string): Promise<Stripe.Invoice | null> {
    if (invoice.stripe_invoice_id) {
      try {
        return await this.stripe.invoices.retrieve(invoice.stripe_invoice_id);
      } catch (e) {
        if (!isMissing(e)) throw e;
        // Deleted at Stripe, its event not applied yet (or lost): forgotten now, so the next
        // attempt makes a new draft under the next count's keys. Making one here would be under
        // this count's key, which hands back the deleted draft for a day, and our row, naming
        // the deleted one, would not take another.
        await this.stripeState.forgetDeletedDraft(
          this.db.manager,
          invoice.id,
          invoice.stripe_invoice_id,
        );
        throw new Error(
          `Stripe draft ${invoice.stripe_invoice_id} of invoice ${invoice.id} was deleted at Stripe`,
        );
      }
    }
    for await (const draft of this.stripe.invoices.list({
      customer,
      status: 'draft',
      limit: 100,
    })) {
      if (draft.metadata?.invoiceId === invoice.id) return draft;
    }
    return null;
  }

  /**
   * One Stripe invoice item per line of ours, each under a key from the draft's key; not the
   * lines the draft already has (added by a run whose answer was lost past its key's life).
   */
  private async addItems(
    invoiceId: string,
    draftId: string,
    customer: string,
    currency: string,
    key: string,
    lines: InvoiceLineRow[],
  ): Promise<void> {
    const present = new Set<string>();
    for await (const item of this.stripe.invoiceItems.list({ invoice: draftId, limit: 100 })) {
      if (item.metadata?.invoiceId === invoiceId) present.add(item.metadata.position);
    }
    for (const item of stripeItemsOf(lines)) {
      if (present.has(item.position)) continue;
      await this.stripe.invoiceItems.create(
        {
          customer,
          invoice: draftId,
          currency,
          amount: item.amountMinor,
          description: item.description,
          metadata: { invoiceId, position: item.position },
        },
        { idempotencyKey: `${key}-line-${item.position}` },
      );
    }
  }

  /** Whether a call failed because this Stripe draft no longer exists (deleted at Stripe). */
  private async isGone(e: unknown, draftId: string): Promise<boolean> {
    if (!isMissing(e)) return false;
    try {
      await this.stripe.invoices.retrieve(draftId);
      return false;
    } catch (again) {
      if (isMissing(again)) return true;
      throw again;
    }
  }
}

const isMissing = (e: unknown) =>
  e instanceof Stripe.errors.StripeInvalidRequestError && e.code === 'resource_missing';
