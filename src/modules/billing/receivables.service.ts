import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { formatMoney } from '../../common/money/format-money';
import { decodeCursor, toPage } from '../../common/pagination/page';
import { CompaniesService } from '../companies/companies.service';
import { keyReused } from '../idempotency/idempotency-keys.service';
import { LedgerService } from '../ledger/ledger.service';
import { CreditControlService } from './credit-control.service';
import { InvoiceCollectionService } from './invoice-collection.service';
import { InvoiceLineRow, InvoiceRow, InvoicesRepository } from './invoices.repository';
import { toInvoiceDto } from './invoices.service';
import { WithheldCreditsService } from './withheld-credits.service';
import {
  AgeingRowDto,
  CreateCreditNoteDto,
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
 * Finance's side of money in: every company's invoices, what is owed by age, and the two ways
 * an amount leaves a receivable without being paid: a credit note (after a dispute, say) and a
 * write-off (Stripe stops collecting). All of it through the ledger.
 */
@Injectable()
export class ReceivablesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly invoices: InvoicesRepository,
    private readonly ledger: LedgerService,
    private readonly companies: CompaniesService,
    private readonly collection: InvoiceCollectionService,
    private readonly credit: CreditControlService,
    private readonly withheld: WithheldCreditsService,
  ) {}

  async list(actor: Actor, query: ListAllInvoicesQueryDto): Promise<FinanceInvoicePageDto> {
    requireUser(actor, 'finance');
    const cursor = decodeCursor(query.cursor, ['instant', 'uuid']);
    const em = this.db.manager;
    const rows = await this.invoices.pageAll(
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
   * what a lost dispute made owed again on a paid one, by the same days), and what is booked
   * but not invoiced yet (less credit carried) as current. Sums to the ledger's receivable of
   * each company and currency.
   */
  async ageing(actor: Actor): Promise<ReceivablesAgeingDto> {
    requireUser(actor, 'finance');
    const em = this.db.manager;
    const now = Date.now();
    const [owed, unpaid] = await Promise.all([
      this.ledger.receivableBalances(em),
      this.invoices.owing(em),
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
    for (const invoice of unpaid) {
      const row = rowOf(invoice.company_id, invoice.currency);
      const amount = Number(invoice.owed_minor);
      const days = Math.floor((now - invoice.period_end.getTime()) / DAY);
      const bucket: Bucket =
        days < 1
          ? 'currentMinor'
          : days <= 30
            ? 'days1To30Minor'
            : days <= 60
              ? 'days31To60Minor'
              : 'over60DaysMinor';
      // Out of "not invoiced yet", into its age.
      row.currentMinor -= amount;
      row[bucket] += amount;
    }
    const companies = [...rows.values()].filter((r) => r.totalMinor !== 0 || hasAged(r));
    const names = await this.companies.namesOf(
      em,
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

  /**
   * A credit note: what a lost dispute made owed again, not to be collected (the cardholder's
   * bank kept it). It leaves the company's receivable as bad debt, once per request (the
   * Idempotency-Key), never more than the dispute took less earlier credits, nor more than the
   * company owes. Only that: the ledger is all a credit note changes, so on an invoice Stripe
   * still collects (open, past due) it would be charged in full anyway, and a write-off after it
   * would write off the credit twice; on a paid invoice without a lost dispute the company owes
   * nothing of it, and no later invoice would carry the credit to it.
   */
  async creditNote(
    actor: Actor,
    invoiceId: string,
    input: CreateCreditNoteDto,
    idempotencyKey: string,
  ): Promise<FinanceInvoiceDto> {
    const { userId } = requireUser(actor, 'finance');
    // Keyed by the request, not at random: when the credit note committed but its answer was
    // lost (a 5xx after the commit frees the Idempotency-Key; a crash lets its lease lapse),
    // the retry finds it here instead of crediting a second time.
    // (Idempotency-Keys are each user's own, as the idempotency module scopes them.)
    const entryKey = `credit-note:${invoiceId}:${userId}:${idempotencyKey}`;
    await this.db.transaction(async (em) => {
      // The company's lock in the invoice's currency before the invoice's (a closing's order):
      // the receivable read below caps the credit, and two credit notes on two invoices of the
      // company must not both read it before either books.
      const unlocked = await this.invoices.find(em, invoiceId);
      if (!unlocked) throw DomainError.notFound('Invoice');
      await this.invoices.lockCompanyCurrency(em, unlocked.company_id, unlocked.currency);
      const invoice = (await this.invoices.find(em, invoiceId, true))!;
      const memo = `Credit note on invoice ${invoice.number ?? invoice.id}: ${input.reason.trim()}`;
      const earlier = await this.ledger.posted(em, entryKey);
      if (earlier) {
        // The same request again: answered as the invoice stands. Another under its key (the
        // stored answer, and its fingerprint, went with the 5xx) is refused, as the key's
        // check does while the answer is stored.
        if (earlier.debitMinor === input.amountMinor && earlier.memo === memo) return;
        throw keyReused(idempotencyKey);
      }
      const lost = invoice.dispute_status === 'lost' ? Number(invoice.disputed_minor) : 0;
      const creditable = lost - Number(invoice.credited_minor);
      const owed =
        (await this.ledger.balances(em, invoice.company_id)).find(
          (b) => b.account === 'company_receivable' && b.currency === invoice.currency,
        )?.balance ?? 0;
      const limit = Math.min(creditable, owed);
      if (input.amountMinor > limit) {
        throw new DomainError(
          'CREDIT_EXCEEDS_OWED',
          `At most ${formatMoney({ currency: invoice.currency, amountMinor: Math.max(0, limit) })} ` +
            'can be credited on this invoice now (what a lost dispute took back, less earlier ' +
            'credits, and no more than the company owes)',
          { creditableMinor: Math.max(0, limit) },
        );
      }
      await this.ledger.post(em, {
        kind: 'write_off',
        idempotencyKey: entryKey,
        currency: invoice.currency,
        companyId: invoice.company_id,
        createdBy: userId,
        memo,
        lines: [
          { account: 'platform_bad_debt', ownerId: null, amountMinor: input.amountMinor },
          {
            account: 'company_receivable',
            ownerId: invoice.company_id,
            amountMinor: -input.amountMinor,
          },
        ],
      });
      await this.invoices.addCredited(em, invoiceId, input.amountMinor);
      // What is credited here the company never paid (its bank took it back): the credits of
      // the invoice's reopened tickets are withheld up to it, as for a write-off.
      const credited = Number(invoice.credited_minor) + input.amountMinor;
      await this.withheld.withhold(em, invoice, credited);
      await this.credit.standing(em, invoice.company_id);
    });
    return this.one(invoiceId);
  }

  /** Writes an unpaid invoice off: Stripe stops collecting, the receivable goes to bad debt. */
  async writeOff(
    actor: Actor,
    invoiceId: string,
    input: WriteOffInvoiceDto,
  ): Promise<FinanceInvoiceDto> {
    requireUser(actor, 'finance');
    await this.collection.writeOff(invoiceId, input.reason.trim());
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
      const invoice = await this.invoices.find(em, invoiceId, true);
      if (!invoice) throw DomainError.notFound('Invoice');
      if (invoice.status !== 'uncollectible') {
        throw new DomainError(
          'INVOICE_STATE',
          'Only an invoice written off holds its company until waived; a past-due one is ' +
            "paid, written off, or the company's hold lifted",
          { status: invoice.status },
        );
      }
      if (await this.invoices.waiveHold(em, invoiceId, userId, input.reason.trim())) {
        await this.credit.standing(em, invoice.company_id);
      }
    });
    return this.one(invoiceId);
  }

  private async one(invoiceId: string): Promise<FinanceInvoiceDto> {
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
    disputeStatus: r.dispute_status,
    disputedMinor: r.disputed_minor === null ? null : Number(r.disputed_minor),
    creditedMinor: Number(r.credited_minor),
    holdWaivedAt: r.hold_waived_at,
    holdWaivedReason: r.hold_waived_reason,
  };
}
