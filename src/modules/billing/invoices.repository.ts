import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { InvoiceLineRow, InvoiceRow, InvoiceStatus } from './invoice.rows';

/**
 * `invoices` and `invoice_lines`: each company's billing periods closed, per currency (a
 * closing's writes: InvoiceClosingRepository; Stripe's side of an invoice:
 * InvoiceStripeStateRepository; a paid invoice's later changes: PaidInvoicesRepository).
 */
@Injectable()
export class InvoicesRepository {
  /**
   * Serialises invoicing of one company in one currency until the transaction ends: closing a
   * period reads the last invoice's carried credit and the unbilled entries, then writes both.
   */
  async lockCompanyCurrency(em: EntityManager, companyId: string, currency: string): Promise<void> {
    await em.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
      `invoices:${companyId}:${currency}`,
    ]);
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
   * The company's invoice whose charge this dispute is about (through ix_invoices_company: a
   * company's invoices are few; dispute ids are not indexed).
   */
  async disputedBy(
    em: EntityManager,
    companyId: string,
    disputeId: string,
  ): Promise<InvoiceRow | undefined> {
    const [row]: InvoiceRow[] = await em.query(
      `SELECT * FROM invoices WHERE company_id = $1 AND dispute_id = $2`,
      [companyId, disputeId],
    );
    return row;
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
}
