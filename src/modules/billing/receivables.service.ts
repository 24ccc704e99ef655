import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { decodeCursor, toPage } from '../../common/pagination/page';
import { CompaniesService } from '../companies/companies.service';
import { LedgerService } from '../ledger/ledger.service';
import { CreditControlService } from './credit-control.service';
import { InvoiceCollectionService } from './invoice-collection.service';
import { InvoicesRepository } from './invoices.repository';
import { InvoiceLineRow, InvoiceRow } from './invoice.rows';
import { InvoiceReceivablesRepository } from './invoice-receivables.repository';
import { toInvoiceDto } from './invoices.service';
import {
  AgeingRowDto,
  FinanceInvoiceDto,
  FinanceInvoicePageDto,
  ListAllInvoicesQueryDto,
  ReceivablesAgeingDto,
  WaiveInvoiceHoldDto,
  WriteOffInvoiceDto,
} from './receivables.dto';

const DAY = 86_400_000;
type Bucket = 'currentMinor' | 'days1To30Minor' | 'days31To60Minor' | 'over60DaysMinor';

/**
 * Finance's side of money in: every company's invoices, what is owed by age, write-offs (Stripe
 * stops collecting) and their holds waived. Lost disputes are LostDisputesService's.
 */
@Injectable()
export class ReceivablesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly invoices: InvoicesRepository,
    private readonly receivables: InvoiceReceivablesRepository,
    private readonly ledger: LedgerService,
    private readonly companies: CompaniesService,
    private readonly collection: InvoiceCollectionService,
    private readonly credit: CreditControlService,
  ) {}

  async list(actor: Actor, query: ListAllInvoicesQueryDto): Promise<FinanceInvoicePageDto> {
    requireUser(actor, 'finance');
    const cursor = decodeCursor(query.cursor, ['instant', 'uuid']);
    const em = this.db.manager;
    const rows = await this.receivables.pageAll(
      em,
      { statuses: query.status ?? null, companyId: query.companyId ?? null },
      query.limit + 1,
      cursor ? { periodStart: new Date(cursor[0]), id: cursor[1] } : null,
    );
    const shown = rows.slice(0, query.limit);
    const [lines, names] = await Promise.all([
      this.invoices.linesOf(
        em,
        shown.map((r) => r.id),
      ),
      this.companies.namesOf(
        em,
        shown.map((r) => r.company_id),
      ),
    ]);
    return toPage(
      rows,
      query.limit,
      (r) => toFinanceInvoiceDto(r, lines, names),
      (r) => [r.period_start.toISOString(), r.id],
    );
  }

  /**
   * What each company owes, by age: the unpaid invoices by days since their period ended (and
   * what a lost dispute made owed again on a paid one, by the same days), an amount too small to
   * charge that invoices carried forward by days since the last of them ended, and what is
   * booked but not invoiced yet (less credit carried) as current. Sums to the ledger's
   * receivable of each company and currency.
   */
  async ageing(actor: Actor): Promise<ReceivablesAgeingDto> {
    requireUser(actor, 'finance');
    const now = Date.now();
    // Both from one snapshot: read apart, an invoice paid or written off between them was
    // counted in one and not the other (a row's buckets no longer summing to its total).
    const [owed, unpaid, carried] = await this.db.transaction('REPEATABLE READ', async (em) => [
      await this.ledger.receivableBalances(em),
      await this.receivables.owing(em),
      await this.receivables.carriedOwed(em),
    ]);
    const rows = new Map<string, AgeingRowDto>();
    const rowOf = (companyId: string, currency: string) => {
      const key = `${companyId}:${currency}`;
      let row = rows.get(key);
      if (!row) {
        row = {
          companyId,
          companyName: null,
          currency,
          currentMinor: 0,
          days1To30Minor: 0,
          days31To60Minor: 0,
          over60DaysMinor: 0,
          totalMinor: 0,
        };
        rows.set(key, row);
      }
      return row;
    };
    for (const o of owed) {
      const row = rowOf(o.companyId, o.currency);
      row.totalMinor = o.balanceMinor;
      row.currentMinor = o.balanceMinor;
    }
    // Out of "not invoiced yet", into its age: days since the period ended.
    const age = (companyId: string, currency: string, amount: number, periodEnd: Date) => {
      const row = rowOf(companyId, currency);
      const days = Math.floor((now - periodEnd.getTime()) / DAY);
      const bucket: Bucket =
        days < 1
          ? 'currentMinor'
          : days <= 30
            ? 'days1To30Minor'
            : days <= 60
              ? 'days31To60Minor'
              : 'over60DaysMinor';
      row.currentMinor -= amount;
      row[bucket] += amount;
    };
    for (const i of unpaid) age(i.company_id, i.currency, Number(i.owed_minor), i.period_end);
    // Invoiced, not charged: a company that books nothing more is never invoiced again, and
    // its amount would have stayed "current" for good.
    for (const c of carried) age(c.company_id, c.currency, Number(c.carried_minor), c.since);
    const companies = [...rows.values()].filter((r) => r.totalMinor !== 0 || hasAged(r));
    const names = await this.companies.namesOf(
      this.db.manager,
      companies.map((r) => r.companyId),
    );
    for (const r of companies) r.companyName = names.get(r.companyId) ?? null;
    companies.sort(
      (a, b) =>
        a.currency.localeCompare(b.currency) ||
        b.totalMinor - a.totalMinor ||
        a.companyId.localeCompare(b.companyId),
    );
    const totals = new Map<string, Omit<AgeingRowDto, 'companyId' | 'companyName'>>();
    for (const r of companies) {
      const t = totals.get(r.currency) ?? {
        currency: r.currency,
        currentMinor: 0,
        days1To30Minor: 0,
        days31To60Minor: 0,
        over60DaysMinor: 0,
        totalMinor: 0,
      };
      for (const k of [
        'currentMinor',
        'days1To30Minor',
        'days31To60Minor',
        'over60DaysMinor',
        'totalMinor',
      ] as const) {
        t[k] += r[k];
      }
      totals.set(r.currency, t);
    }
    return { generatedAt: new Date(now), companies, totals: [...totals.values()] };
  }

  /** Writes an unpaid invoice off: Stripe stops collecting, the receivable goes to bad debt. */
  async writeOff(
    actor: Actor,
    invoiceId: string,
    input: WriteOffInvoiceDto,
  ): Promise<FinanceInvoiceDto> {
    const { userId } = requireUser(actor, 'finance');
    await this.collection.writeOff(invoiceId, userId, input.reason.trim());
    return this.one(invoiceId);
  }

  /**
   * Waives the hold of an invoice written off unpaid: the company may post shifts again for
   * good (a lift lasts 30 days at most); the invoice stays written off, and a payment still
   * recovers it. Waived already: answered as it is. 409 INVOICE_STATE for any other invoice.
   */
  async waiveHold(
    actor: Actor,
    invoiceId: string,
    input: WaiveInvoiceHoldDto,
  ): Promise<FinanceInvoiceDto> {
    const { userId } = requireUser(actor, 'finance');
    await this.db.transaction(async (em) => {
      const invoice = await this.invoices.lockForBooking(em, { id: invoiceId });
      if (!invoice) throw DomainError.notFound('Invoice');
      if (invoice.status !== 'uncollectible') {
        throw new DomainError(
          'INVOICE_STATE',
          'Only an invoice written off holds its company until waived; a past-due one is ' +
            "paid, written off, or the company's hold lifted",
          { status: invoice.status },
        );
      }
      if (await this.receivables.waiveHold(em, invoiceId, userId, input.reason.trim())) {
        await this.credit.standing(em, invoice.company_id);
      }
    });
    return this.one(invoiceId);
  }

  async one(invoiceId: string): Promise<FinanceInvoiceDto> {
    const em = this.db.manager;
    const row = (await this.invoices.find(em, invoiceId))!;
    const [lines, names] = await Promise.all([
      this.invoices.linesOf(em, [invoiceId]),
      this.companies.namesOf(em, [row.company_id]),
    ]);
    return toFinanceInvoiceDto(row, lines, names);
  }
}

const hasAged = (r: AgeingRowDto) =>
  r.days1To30Minor !== 0 || r.days31To60Minor !== 0 || r.over60DaysMinor !== 0;

function toFinanceInvoiceDto(
  r: InvoiceRow,
  lines: InvoiceLineRow[],
  names: Map<string, string>,
): FinanceInvoiceDto {
  return {
    ...toInvoiceDto(r, lines),
    companyId: r.company_id,
    companyName: names.get(r.company_id) ?? null,
    disputeId: r.dispute_id,
    holdWaivedAt: r.hold_waived_at,
    holdWaivedReason: r.hold_waived_reason,
  };
}
