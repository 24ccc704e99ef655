import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { changedRows } from '../../database/sql';
import { InvoiceRow, StripeInvoiceState } from './invoice.rows';

/**
 * What an invoice's row keeps of its Stripe invoice: the draft's id, Stripe's state, a total
 * Stripe did not charge.
 */
@Injectable()
export class InvoiceStripeStateRepository {
  /**
   * Remembers the Stripe draft of a draft invoice, so that Stripe's events find our row; not if
   * a draft was deleted since the caller read the row (its key may have handed back that one),
   * nor over another draft the row names (another job's), nor once it is no draft of ours any
   * more. Whether the row now names this draft.
   */
  async setStripeDraft(
    em: EntityManager,
    id: string,
    stripeId: string,
    draftsDeleted: number,
  ): Promise<boolean> {
    const rows = await changedRows(
      em,
      `UPDATE invoices SET stripe_invoice_id = $2, updated_at = now()
        WHERE id = $1 AND status = 'draft' AND stripe_drafts_deleted = $3
          AND (stripe_invoice_id IS NULL OR stripe_invoice_id = $2)
        RETURNING id`,
      [id, stripeId, draftsDeleted],
    );
    return rows.length > 0;
  }

  /**
   * The Stripe draft of a draft invoice was deleted at Stripe: forgotten, and counted (the next
   * draft's idempotency keys carry the count). False when the row had moved on.
   */
  async forgetDeletedDraft(em: EntityManager, id: string, stripeId: string): Promise<boolean> {
    const rows = await changedRows(
      em,
      `UPDATE invoices
          SET stripe_invoice_id = NULL, stripe_drafts_deleted = stripe_drafts_deleted + 1,
              updated_at = now()
        WHERE id = $1 AND status = 'draft' AND stripe_invoice_id = $2
        RETURNING id`,
      [id, stripeId],
    );
    return rows.length > 0;
  }

  /**
   * An issued invoice Stripe marked paid without charging it (its total was below Stripe's
   * smallest charge): it charges nothing and carries its total to the next invoice, as a
   * closing below our own minimum does. Only while unpaid at Stripe as far as we knew (Stripe
   * does this when finalizing); undefined when it was applied already.
   */
  async carryUncharged(
    em: EntityManager,
    id: string,
    s: Pick<StripeInvoiceState, 'stripeInvoiceId' | 'number' | 'hostedInvoiceUrl'>,
  ): Promise<InvoiceRow | undefined> {
    const rows = await changedRows<InvoiceRow>(
      em,
      `UPDATE invoices
          SET status = 'no_charge', carried_out_minor = carried_out_minor + total_minor,
              total_minor = 0, stripe_invoice_id = $2, number = $3, hosted_invoice_url = $4,
              updated_at = now()
        WHERE id = $1 AND status IN ('draft', 'open')
          AND (stripe_invoice_id IS NULL OR stripe_invoice_id = $2)
        RETURNING *`,
      [id, s.stripeInvoiceId, s.number, s.hostedInvoiceUrl],
    );
    return rows[0];
  }

  /**
   * Stripe's state of an invoice, unless ours is final (paid, void, no charge). Uncollectible is
   * final but for the ways out Stripe has: a written-off invoice can still be paid, or voided.
   * Never another Stripe invoice's than the one our row names (when it names one).
   */
  async applyStripeState(
    em: EntityManager,
    id: string,
    s: StripeInvoiceState,
  ): Promise<InvoiceRow | undefined> {
    const rows = await changedRows<InvoiceRow>(
      em,
      `UPDATE invoices
          SET status = $2, stripe_invoice_id = $3, number = $4, hosted_invoice_url = $5,
              attempt_count = $6, next_payment_attempt = $7, last_payment_error = $8,
              paid_at = $9, updated_at = now(),
              past_due_since = CASE $2 WHEN 'past_due' THEN coalesce(past_due_since, now())
                                       WHEN 'open' THEN past_due_since END
        WHERE id = $1 AND (status NOT IN ('paid', 'void', 'uncollectible', 'no_charge')
                           OR (status = 'uncollectible' AND $2 IN ('paid', 'void')))
          AND (stripe_invoice_id IS NULL OR stripe_invoice_id = $3)
        RETURNING *`,
      [
        id,
        s.status,
        s.stripeInvoiceId,
        s.number,
        s.hostedInvoiceUrl,
        s.attemptCount,
        s.nextPaymentAttempt,
        s.lastPaymentError,
        s.paidAt,
      ],
    );
    return rows[0];
  }
}
