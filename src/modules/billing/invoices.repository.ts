import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { changedRows } from '../../database/sql';
import type { BillingPeriod } from '../companies/billing-period';
import {
  InvoiceLineRow,
  InvoiceRow,
  InvoiceStatus,
  NewInvoice,
  NewInvoiceLine,
  StripeInvoiceState,
} from './invoice.rows';

/** `invoices` and `invoice_lines`: each company's billing periods closed, per currency. */
@Injectable()
export class InvoicesRepository {
  /**
   * The billing period holding an instant: from midnight of the Monday (or of the 1st) in the
   * company's zone to the next one, computed by PostgreSQL so summer time is right.
   */
  async periodAt(
    em: EntityManager,
    at: Date,
    timeZone: string,
    period: BillingPeriod,
  ): Promise<{ start: Date; end: Date }> {
    const unit = period === 'weekly' ? 'week' : 'month';
    const [row]: { start: Date; end: Date }[] = await em.query(
      `SELECT date_trunc($3, $1::timestamptz AT TIME ZONE $2) AT TIME ZONE $2 AS start,
              (date_trunc($3, $1::timestamptz AT TIME ZONE $2) + ('1 ' || $3)::interval)
                AT TIME ZONE $2 AS "end"`,
      [at, timeZone, unit],
    );
    return row;
  }

  /**
   * Serialises invoicing of one company in one currency until the transaction ends: closing a
   * period reads the last invoice's carried credit and the unbilled entries, then writes both.
   */
  async lockCompanyCurrency(em: EntityManager, companyId: string, currency: string): Promise<void> {
    await em.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
      `invoices:${companyId}:${currency}`,
    ]);
  }

  async latest(
    em: EntityManager,
    companyId: string,
    currency: string,
  ): Promise<InvoiceRow | undefined> {
    const [row]: InvoiceRow[] = await em.query(
      `SELECT * FROM invoices WHERE company_id = $1 AND currency = $2
        ORDER BY period_start DESC LIMIT 1`,
      [companyId, currency],
    );
    return row;
  }

  /**
   * What the company's invoices in `currency` carry that none has taken in yet: the sum of what
   * each carried out less what each carried in. Each closing carries in what the one before
   * carried out, so this is the last invoice's carried amount, unless an earlier one came to
   * carry more after a later one closed (Stripe did not charge it: `carryUncharged`).
   */
  async carriedForward(em: EntityManager, companyId: string, currency: string): Promise<number> {
    const [row]: { carried: string }[] = await em.query(
      `SELECT coalesce(sum(carried_out_minor - carried_in_minor), 0) AS carried
         FROM invoices WHERE company_id = $1 AND currency = $2`,
      [companyId, currency],
    );
    return Number(row.carried);
  }

  async insert(em: EntityManager, i: NewInvoice, status: InvoiceStatus): Promise<string> {
    const [row]: { id: string }[] = await em.query(
      `INSERT INTO invoices (company_id, currency, period_start, period_end, time_zone,
                             billing_period, booked_minor, carried_in_minor, total_minor,
                             carried_out_minor, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
      [
        i.company_id,
        i.currency,
        i.period_start,
        i.period_end,
        i.time_zone,
        i.billing_period,
        i.bookedMinor,
        i.carriedInMinor,
        i.totalMinor,
        i.carriedOutMinor,
        status,
      ],
    );
    return row.id;
  }

  async insertLines(em: EntityManager, invoiceId: string, lines: NewInvoiceLine[]): Promise<void> {
    if (lines.length === 0) return;
    await em.query(
      `INSERT INTO invoice_lines (invoice_id, position, kind, shift_id, description, tickets,
                                  amount_minor)
       SELECT $1, * FROM unnest($2::int[], $3::text[], $4::uuid[], $5::text[], $6::int[],
                                $7::bigint[])`,
      [
        invoiceId,
        lines.map((l) => l.position),
        lines.map((l) => l.kind),
        lines.map((l) => l.shift_id),
        lines.map((l) => l.description),
        lines.map((l) => l.tickets),
        lines.map((l) => l.amountMinor),
      ],
    );
  }

  async find(em: EntityManager, id: string): Promise<InvoiceRow | undefined> {
    const [row]: InvoiceRow[] = await em.query(`SELECT * FROM invoices WHERE id = $1`, [id]);
    return row;
  }

  /**
   * The invoice, locked after its company's invoicing lock in its currency (lockCompanyCurrency,
   * which a closing takes first too). Every use case that books on an invoice starts here, and
   * some go on to lock another invoice of the company: an appeal, the one that billed its
   * dispute again; a late payment, those whose credits it billed back. Taken in the invoices'
   * own order, two such use cases could each hold the invoice the other waits for, a deadlock
   * PostgreSQL ends by aborting one; behind the company's lock they queue instead.
   */
  async lockForBooking(
    em: EntityManager,
    by: { id: string } | { stripeId: string },
  ): Promise<InvoiceRow | undefined> {
    const [key]: Pick<InvoiceRow, 'id' | 'company_id' | 'currency'>[] = await em.query(
      `SELECT id, company_id, currency FROM invoices
        WHERE ${'id' in by ? 'id' : 'stripe_invoice_id'} = $1`,
      ['id' in by ? by.id : by.stripeId],
    );
    if (!key) return undefined;
    await this.lockCompanyCurrency(em, key.company_id, key.currency);
    const [row]: InvoiceRow[] = await em.query(`SELECT * FROM invoices WHERE id = $1 FOR UPDATE`, [
      key.id,
    ]);
    return row;
  }

  /** The invoices' statuses, by id. */
  async statusesOf(em: EntityManager, ids: string[]): Promise<Map<string, InvoiceStatus>> {
    if (ids.length === 0) return new Map();
    const rows: { id: string; status: InvoiceStatus }[] = await em.query(
      `SELECT id, status FROM invoices WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r.status]));
  }

  /** The invoices, locked in id order (the order every path that locks several takes). */
  lockByIds(em: EntityManager, ids: string[]): Promise<InvoiceRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return em.query(`SELECT * FROM invoices WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [
      ids,
    ]);
  }

  /**
   * Of these invoices, those the company did not pay in full, with what went uncollected: the
   * whole of one written off (uncollectible, or voided at Stripe), what credit notes wrote off
   * of one whose payment a lost dispute took back. All are locked, in id order, and filtered
   * after: a filter in the locking query would skip, without waiting, one whose write-off or
   * credit note is committing (its last committed row does not match).
   */
  async lockUncollected(
    em: EntityManager,
    ids: string[],
  ): Promise<{ invoice: InvoiceRow; uncollectedMinor: number }[]> {
    if (ids.length === 0) return [];
    const rows: InvoiceRow[] = await em.query(
      `SELECT * FROM invoices WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [ids],
    );
    return rows.flatMap((invoice) =>
      invoice.status === 'uncollectible' || invoice.status === 'void'
        ? [{ invoice, uncollectedMinor: Number(invoice.total_minor) }]
        : Number(invoice.credited_minor) > 0 && invoice.dispute_status !== 'won'
          ? [{ invoice, uncollectedMinor: Number(invoice.credited_minor) }]
          : [],
    );
  }

  /**
   * Remembers the Stripe draft of a draft invoice, so that Stripe's events find our row; not if
   * a draft was deleted since the caller read the row (its key may have handed back that one).
   */
  async setStripeDraft(
    em: EntityManager,
    id: string,
    stripeId: string,
    draftsDeleted: number,
  ): Promise<void> {
    await em.query(
      `UPDATE invoices SET stripe_invoice_id = $2, updated_at = now()
        WHERE id = $1 AND status = 'draft' AND stripe_invoice_id IS DISTINCT FROM $2
          AND stripe_drafts_deleted = $3`,
      [id, stripeId, draftsDeleted],
    );
  }

  /**
   * The Stripe draft of a draft invoice was deleted at Stripe: forgotten, and counted (the next
   * draft's idempotency keys carry the count). False when the row had moved on.
   */
  async forgetDeletedDraft(em: EntityManager, id: string, stripeId: string): Promise<boolean> {
    const rows: unknown[] = await em.query(
      `UPDATE invoices
          SET stripe_invoice_id = NULL, stripe_drafts_deleted = stripe_drafts_deleted + 1,
              updated_at = now()
        WHERE id = $1 AND status = 'draft' AND stripe_invoice_id = $2
        RETURNING id`,
      [id, stripeId],
    );
    return rows.length > 0;
  }

  /** lockForBooking by the Stripe invoice's id (a webhook's). */
  lockByStripeId(em: EntityManager, stripeId: string): Promise<InvoiceRow | undefined> {
    return this.lockForBooking(em, { stripeId });
  }

  linesOf(em: EntityManager, invoiceIds: string[]): Promise<InvoiceLineRow[]> {
    return em.query(
      `SELECT * FROM invoice_lines WHERE invoice_id = ANY($1::uuid[])
        ORDER BY invoice_id, position`,
      [invoiceIds],
    );
  }

  /** A company's invoices, newest period first, keyset-paged by (period_start, id). */
  page(
    em: EntityManager,
    companyId: string,
    limit: number,
    after: { periodStart: Date; id: string } | null,
  ): Promise<InvoiceRow[]> {
    return em.query(
      `SELECT * FROM invoices
        WHERE company_id = $1
          AND ($3::timestamptz IS NULL OR (period_start, id) < ($3, $4::uuid))
        ORDER BY period_start DESC, id DESC
        LIMIT $2`,
      [companyId, limit, after?.periodStart ?? null, after?.id ?? null],
    );
  }

  /** The company's invoices Stripe still has to collect (a fixed card retries them). */
  unpaidOf(em: EntityManager, companyId: string): Promise<InvoiceRow[]> {
    return em.query(
      `SELECT * FROM invoices WHERE company_id = $1 AND status IN ('open', 'past_due')
        ORDER BY period_start`,
      [companyId],
    );
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
        RETURNING *`,
      [id, s.stripeInvoiceId, s.number, s.hostedInvoiceUrl],
    );
    return rows[0];
  }

  /**
   * Stripe's state of an invoice, unless ours is final (paid, void, no charge). Uncollectible is
   * final but for the ways out Stripe has: a written-off invoice can still be paid, or voided.
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
