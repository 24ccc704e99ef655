import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { BillingPeriod } from '../companies/billing-period';
import { InvoiceRow, NewInvoice, NewInvoiceLine, InvoiceStatus } from './invoice.rows';

/**
 * `invoices` and `invoice_lines` as a closing writes them: the billing period, what the invoices
 * before carried, the new invoice and its lines. The caller holds the company's invoicing lock
 * in the currency (InvoicesRepository.lockCompanyCurrency).
 */
@Injectable()
export class InvoiceClosingRepository {
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
}
