import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { changedRows } from '../../database/sql';
import type { InvoiceRow } from './invoice.rows';

/**
 * `invoices` as what companies owe: every company's invoices for finance, what is owed for the
 * ageing report, what holds a company (past due, written off unpaid) and its waivers.
 */
@Injectable()
export class InvoiceReceivablesRepository {
  /**
   * Every company's invoices (finance), newest period first, keyset-paged; by status and
   * company when given.
   */
  pageAll(
    em: EntityManager,
    filter: { statuses: string[] | null; companyId: string | null },
    limit: number,
    after: { periodStart: Date; id: string } | null,
  ): Promise<InvoiceRow[]> {
    return em.query(
      `SELECT * FROM invoices
        WHERE ($1::text[] IS NULL OR status = ANY($1))
          AND ($2::uuid IS NULL OR company_id = $2)
          AND ($4::timestamptz IS NULL OR (period_start, id) < ($4, $5::uuid))
        ORDER BY period_start DESC, id DESC
        LIMIT $3`,
      [filter.statuses, filter.companyId, limit, after?.periodStart ?? null, after?.id ?? null],
    );
  }

  /**
   * What invoices of every company leave owed, for the ageing report: an unpaid one its total
   * less credit notes; a paid one whose payment the company's bank took back (a lost dispute)
   * what the dispute took less credit notes, owed again since the invoice's period, unless it
   * was billed again (a later invoice owes that).
   */
  owing(em: EntityManager): Promise<(InvoiceRow & { owed_minor: string })[]> {
    return em.query(
      `SELECT *, CASE WHEN status = 'paid' THEN disputed_minor - credited_minor - rebilled_minor
                      ELSE total_minor - credited_minor END AS owed_minor
         FROM invoices
        WHERE status IN ('open', 'past_due', 'draft')
           OR (status = 'paid'
               AND dispute_status IN ('lost', 'appeal_needs_response', 'appeal_under_review')
               AND disputed_minor > credited_minor + rebilled_minor)`,
    );
  }

  /**
   * What each company's invoices carried out and no invoice has taken in yet, where that is
   * owed (a total below Stripe's smallest charge, not a credit), with the end of the last
   * period that carried an amount out (not of a later invoice: one that closed before an earlier
   * invoice's total was carried, issue stuck on a Stripe balance): the ageing report ages it from
   * then, as it does an unpaid invoice.
   */
  carriedOwed(
    em: EntityManager,
  ): Promise<{ company_id: string; currency: string; carried_minor: string; since: Date }[]> {
    return em.query(
      `SELECT company_id, currency, sum(carried_out_minor - carried_in_minor) AS carried_minor,
              max(period_end) FILTER (WHERE carried_out_minor > 0) AS since
         FROM invoices
        GROUP BY company_id, currency
       HAVING sum(carried_out_minor - carried_in_minor) > 0`,
    );
  }

  /** The company's invoices past due since before `before` (the grace period's start). */
  pastDue(em: EntityManager, companyId: string, before: Date): Promise<InvoiceRow[]> {
    return em.query(
      `SELECT * FROM invoices
        WHERE company_id = $1 AND status = 'past_due' AND past_due_since <= $2
        ORDER BY past_due_since`,
      [companyId, before],
    );
  }

  /**
   * Keeps who asks to write the unpaid invoice off, and why, for the entry that books it;
   * false when it is no longer unpaid.
   */
  async requestWriteOff(
    em: EntityManager,
    invoiceId: string,
    by: string,
    reason: string,
  ): Promise<boolean> {
    const rows = await changedRows(
      em,
      `UPDATE invoices
          SET write_off_requested_at = now(), write_off_requested_by = $2, write_off_reason = $3,
              updated_at = now()
        WHERE id = $1 AND status IN ('open', 'past_due')
        RETURNING id`,
      [invoiceId, by, reason],
    );
    return rows.length > 0;
  }

  /** Stripe refused the write-off: the request is not kept (a later one at Stripe is not it). */
  async withdrawWriteOff(em: EntityManager, invoiceId: string, by: string): Promise<void> {
    await em.query(
      `UPDATE invoices
          SET write_off_requested_at = NULL, write_off_requested_by = NULL,
              write_off_reason = NULL, updated_at = now()
        WHERE id = $1 AND write_off_requested_by = $2 AND status IN ('open', 'past_due')`,
      [invoiceId, by],
    );
  }

  /** Waives the hold of an invoice written off; false when it is not one, or waived already. */
  async waiveHold(
    em: EntityManager,
    invoiceId: string,
    by: string,
    reason: string,
  ): Promise<boolean> {
    const rows = await changedRows(
      em,
      `UPDATE invoices
          SET hold_waived_at = now(), hold_waived_by = $2, hold_waived_reason = $3,
              updated_at = now()
        WHERE id = $1 AND status = 'uncollectible' AND hold_waived_at IS NULL
        RETURNING id`,
      [invoiceId, by, reason],
    );
    return rows.length > 0;
  }

  /**
   * Lifts the hold of a written-off invoice that leaves nothing unpaid (DisputeRebillsService):
   * waived, by no one; false when it is not written off, or waived already.
   */
  async waiveSettledHold(em: EntityManager, invoiceId: string): Promise<boolean> {
    const rows = await changedRows(
      em,
      `UPDATE invoices SET hold_waived_at = now(), updated_at = now()
        WHERE id = $1 AND status = 'uncollectible' AND hold_waived_at IS NULL
        RETURNING id`,
      [invoiceId],
    );
    return rows.length > 0;
  }

  /**
   * Invoices written off unpaid: uncollectible with something still owed after credit notes
   * (a written-off invoice can still be paid, and is then `paid`), and not waived (by finance,
   * or by the migration for those written off before the hold existed).
   */
  writtenOffUnpaid(em: EntityManager, companyId: string): Promise<InvoiceRow[]> {
    return em.query(
      `SELECT * FROM invoices
        WHERE company_id = $1 AND status = 'uncollectible' AND total_minor > credited_minor
          AND hold_waived_at IS NULL
        ORDER BY updated_at`,
      [companyId],
    );
  }

  /** Companies with an invoice past due (the sweep refreshes their holds). */
  async pastDueCompanyIds(em: EntityManager): Promise<string[]> {
    const rows: { company_id: string }[] = await em.query(
      `SELECT DISTINCT company_id FROM invoices WHERE status = 'past_due'`,
    );
    return rows.map((r) => r.company_id);
  }
}
