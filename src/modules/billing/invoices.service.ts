import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireCompany } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { decodeCursor, toPage } from '../../common/pagination/page';
import { InvoiceDto, InvoicePageDto, ListInvoicesQueryDto } from './invoice.dto';
import { InvoicesRepository } from './invoices.repository';
import { InvoiceLineRow, InvoiceRow } from './invoice.rows';

/** A company's invoices, as the company (and its console) reads them. */
@Injectable()
export class InvoicesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly invoices: InvoicesRepository,
  ) {}

  async list(actor: Actor, query: ListInvoicesQueryDto): Promise<InvoicePageDto> {
    const companyId = requireCompany(actor);
    const cursor = decodeCursor(query.cursor, ['instant', 'uuid']);
    const em = this.db.manager;
    const rows = await this.invoices.page(
      em,
      companyId,
      query.limit + 1,
      cursor ? { periodStart: new Date(cursor[0]), id: cursor[1] } : null,
    );
    const lines = await this.invoices.linesOf(
      em,
      rows.slice(0, query.limit).map((r) => r.id),
    );
    return toPage(
      rows,
      query.limit,
      (r) => toInvoiceDto(r, lines),
      (r) => [r.period_start.toISOString(), r.id],
    );
  }
}

export function toInvoiceDto(r: InvoiceRow, lines: InvoiceLineRow[]): InvoiceDto {
  return {
    id: r.id,
    currency: r.currency,
    periodStartsAt: r.period_start,
    periodEndsAt: r.period_end,
    timeZone: r.time_zone,
    billingPeriod: r.billing_period,
    status: r.status,
    bookedMinor: Number(r.booked_minor),
    carriedInMinor: Number(r.carried_in_minor),
    totalMinor: Number(r.total_minor),
    carriedOutMinor: Number(r.carried_out_minor),
    number: r.number,
    hostedInvoiceUrl: r.hosted_invoice_url,
    attemptCount: r.attempt_count,
    nextPaymentAttemptAt: r.next_payment_attempt,
    lastPaymentError: r.last_payment_error,
    paidAt: r.paid_at,
    refundedMinor: Number(r.refunded_minor),
    disputeStatus: r.dispute_status,
    disputedMinor: r.disputed_minor === null ? null : Number(r.disputed_minor),
    creditedMinor: Number(r.credited_minor),
    rebilledMinor: Number(r.rebilled_minor),
    rebilledAt: r.rebilled_at,
    lines: lines
      .filter((l) => l.invoice_id === r.id)
      .map((l) => ({
        kind: l.kind,
        shiftId: l.shift_id,
        description: l.description,
        tickets: l.tickets,
        amountMinor: Number(l.amount_minor),
      })),
  };
}
