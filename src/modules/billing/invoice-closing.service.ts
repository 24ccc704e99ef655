import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { minimumChargeMinor } from '../../common/money/minimum-charge';
import { CompaniesService } from '../companies/companies.service';
import { BillableEntry, LedgerService } from '../ledger/ledger.service';
import { OutboxService } from '../outbox/outbox.service';
import { ShiftFacts } from '../shifts/shift-facts.service';
import { TicketClaimFacts } from '../tickets/ticket-claim-facts.service';
import { isRebill, isWithheldCreditBack } from './dispute-rebill-steps';
import { InvoiceClosingRepository } from './invoice-closing.repository';
import { InvoicesRepository } from './invoices.repository';
import { NewInvoiceLine } from './invoice.rows';
import { localDay } from './local-day';
import { WithheldCreditsService } from './withheld-credits.service';

/**
 * How far back a sweep looks for entries no invoice billed: a monthly period and its closing,
 * with room to spare. An entry older than that was billed by an earlier sweep (the watermark
 * below keeps entries from committing behind a closed period).
 */
const LOOKBACK_DAYS = 100;

export interface SweepResult {
  /** Invoices written by this sweep (one per company, currency and period closed). */
  closed: string[];
}

/**
 * Closes billing periods. A posting belongs to the period in which the ledger booked it (its
 * entry's time); a period closes once it has ended in the company's zone and every ticket event
 * written before its end has been booked (no `ledger.ticket-event` job older than the end is
 * still to finish). Closing writes one invoice per company and currency: a line per shift for
 * its resolutions, a line per shift for reversals, and what is carried in; the entries it
 * bills are marked in the same transaction (once: their key), and a job issues it at Stripe.
 * What is carried: a credit larger than the period's charges, or a total below Stripe's
 * smallest charge for the currency (minimum-charge.ts), which charges nothing this period.
 */
@Injectable()
export class InvoiceClosingService {
  private readonly logger = new Logger(InvoiceClosingService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly ledger: LedgerService,
    private readonly invoices: InvoicesRepository,
    private readonly closing: InvoiceClosingRepository,
    private readonly companies: CompaniesService,
    private readonly claims: TicketClaimFacts,
    private readonly shifts: ShiftFacts,
    private readonly outbox: OutboxService,
    private readonly withheld: WithheldCreditsService,
  ) {}

  /** Closes every period due at `now`, oldest first, one transaction per invoice. */
  async sweep(now = new Date()): Promise<SweepResult> {
    const closed: string[] = [];
    const since = new Date(now.getTime() - LOOKBACK_DAYS * 86_400_000);
    // Each pass closes the oldest open period of each company and currency; a company behind
    // by several periods takes several passes.
    for (;;) {
      const candidates = await this.ledger.unbilledCompanies(this.db.manager, since);
      if (candidates.length === 0) break;
      const pending = await this.outbox.oldestUnfinished(this.db.manager, 'ledger.ticket-event');
      const bookedUpTo = pending && pending < now ? pending : now;
      let progress = false;
      for (const c of candidates) {
        try {
          const id = await this.db.transaction((em) =>
            this.closeOldest(em, c.companyId, c.currency, c.oldest, bookedUpTo, since),
          );
          if (id) {
            closed.push(id);
            progress = true;
          }
        } catch (e) {
          this.logger.error(
            { err: e, companyId: c.companyId, currency: c.currency },
            'closing a billing period failed; the next sweep tries again',
          );
        }
      }
      if (!progress) break;
    }
    return { closed };
  }

  /**
   * Closes the period holding the company's oldest unbilled entry if it ended by `bookedUpTo`;
   * returns the invoice's id, or null when that period is not due yet or another worker closed
   * it first.
   */
  private async closeOldest(
    em: EntityManager,
    companyId: string,
    currency: string,
    oldest: Date,
    bookedUpTo: Date,
    since: Date,
  ): Promise<string | null> {
    await this.invoices.lockCompanyCurrency(em, companyId, currency);
    const company = await this.companies.settingsOf(em, companyId);
    if (!company) return null;
    const previous = await this.closing.latest(em, companyId, currency);
    // An entry committed just behind a closed period (or settings changed since) falls into
    // the period after the last one closed: periods never overlap.
    const anchor = previous && previous.period_end > oldest ? previous.period_end : oldest;
    const period = await this.closing.periodAt(em, anchor, company.timeZone, company.billingPeriod);
    const start =
      previous && previous.period_end > period.start ? previous.period_end : period.start;
    if (period.end > bookedUpTo) return null;
    const entries = await this.ledger.unbilledEntries(em, companyId, currency, since, period.end);
    if (entries.length === 0) return null; // another worker closed it
    // Tickets reopened after the invoice that charged them was written off: not credited.
    entries.push(...(await this.withheld.forClosing(em, entries)));
    const booked = entries.reduce((sum, e) => sum + e.amountMinor, 0);
    const carriedIn = await this.closing.carriedForward(em, companyId, currency);
    const net = booked + carriedIn;
    // Charged only from Stripe's smallest charge up: below it, Stripe would mark the invoice
    // paid without charging and keep the amount on its own customer balance, adding it to the
    // next invoice behind our books. Carried to the next period instead, as a credit is.
    const charged = net >= minimumChargeMinor(currency) ? net : 0;
    const invoiceId = await this.closing.insert(
      em,
      {
        company_id: companyId,
        currency,
        period_start: start,
        period_end: period.end,
        time_zone: company.timeZone,
        billing_period: company.billingPeriod,
        bookedMinor: booked,
        carriedInMinor: carriedIn,
        totalMinor: charged,
        carriedOutMinor: net - charged,
      },
      charged > 0 ? 'draft' : 'no_charge',
    );
    await this.closing.insertLines(
      em,
      invoiceId,
      await this.linesFor(em, entries, carriedIn, company.timeZone),
    );
    await this.ledger.markInvoiced(
      em,
      invoiceId,
      entries.map((e) => e.entryId),
    );
    if (charged > 0) await this.outbox.enqueue(em, 'billing.invoice-issue', { invoiceId });
    return invoiceId;
  }

  /**
   * A line per shift for its resolutions, one per shift for reversals, one for credits withheld
   * and one for credits restored (see WithheldCreditsService), one for lost disputes billed
   * again (see LostDisputesService), the credit carried.
   */
  private async linesFor(
    em: EntityManager,
    entries: BillableEntry[],
    carriedIn: number,
    timeZone: string,
  ): Promise<NewInvoiceLine[]> {
    const tickets = entries.filter((e) => e.kind === 'earning' || e.kind === 'earning_reversal');
    const lines = await this.shiftLines(em, tickets, timeZone);
    const credits = [
      [
        'credit_withheld',
        'withheld_credits',
        'withheld: the invoice that charged them was written off',
      ],
      ['credit_restored', 'restored_credits', 'credited again: their written-off invoice was paid'],
    ] as const;
    for (const [entryKind, kind, why] of credits) {
      const of = entries.filter((e) => e.kind === entryKind);
      if (of.length === 0) continue;
      // Tickets, not entries: one ticket's credit may be withheld in steps (two credit notes
      // before a closing) or again after a restore, each its own entry.
      const count = new Set(of.map((e) => e.claimId ?? e.entryId)).size;
      lines.push({
        position: lines.length + 1,
        kind,
        shift_id: null,
        description: `Credits for ${count} reopened ticket${count === 1 ? '' : 's'} ${why}`,
        tickets: count,
        amountMinor: of.reduce((s, e) => s + e.amountMinor, 0),
      });
    }
    // A lost dispute's amount billed again, and what became of it once won on appeal: each its
    // own line (a credit-back under "billed again" read as a negative charge).
    const disputes = entries.filter((e) => e.kind === 'dispute_rebilled');
    const rebilled = disputes.filter((e) => isRebill(e.key));
    if (rebilled.length > 0) {
      lines.push({
        position: lines.length + 1,
        kind: 'rebilled_disputes',
        shift_id: null,
        description:
          rebilled.length === 1
            ? 'A charge your bank took back (a lost dispute), billed again'
            : `${rebilled.length} charges your bank took back (lost disputes), billed again`,
        tickets: 0,
        amountMinor: rebilled.reduce((s, e) => s + e.amountMinor, 0),
      });
    }
    // Won on appeal since: credited back, and (a line of its own) a credit-back billed back
    // because the invoice that billed the dispute again went unpaid.
    const appealed = disputes.filter((e) => !isRebill(e.key));
    const withheld = appealed.filter((e) => isWithheldCreditBack(e.key));
    const credited = appealed.filter((e) => !isWithheldCreditBack(e.key));
    for (const [of, description] of [
      [credited, 'Disputes won on appeal: what was billed again, credited back'],
      [
        withheld,
        'Disputes won on appeal: their credit billed back, the invoice that billed them again having gone unpaid',
      ],
    ] as const) {
      if (of.length === 0) continue;
      lines.push({
        position: lines.length + 1,
        kind: 'appealed_disputes',
        shift_id: null,
        description,
        tickets: 0,
        amountMinor: of.reduce((s, e) => s + e.amountMinor, 0),
      });
    }
    if (carriedIn < 0) {
      lines.push({
        position: lines.length + 1,
        kind: 'carried_credit',
        shift_id: null,
        description: 'Credit carried from earlier periods',
        tickets: 0,
        amountMinor: carriedIn,
      });
    } else if (carriedIn > 0) {
      lines.push({
        position: lines.length + 1,
        kind: 'carried_balance',
        shift_id: null,
        description: 'Carried from earlier periods, below the smallest amount a card is charged',
        tickets: 0,
        amountMinor: carriedIn,
      });
    }
    return lines;
  }

  /** A line per shift for its resolutions, then one per shift for its reversals. */
  private async shiftLines(
    em: EntityManager,
    entries: BillableEntry[],
    timeZone: string,
  ): Promise<NewInvoiceLine[]> {
    const shiftOf = await this.claims.shiftsOfClaims(
      em,
      entries.flatMap((e) => (e.claimId ? [e.claimId] : [])),
    );
    const groups = new Map<string, { shiftId: string | null; reversal: boolean; e: number[] }>();
    for (const e of entries) {
      const shiftId = (e.claimId && shiftOf.get(e.claimId)) ?? null;
      const reversal = e.kind === 'earning_reversal';
      const key = `${shiftId}:${reversal}`;
      const group = groups.get(key) ?? { shiftId, reversal, e: [] };
      group.e.push(e.amountMinor);
      groups.set(key, group);
    }
    const labels = await this.shifts.labelsOf(
      em,
      [...groups.values()].flatMap((g) => (g.shiftId ? [g.shiftId] : [])),
    );
    const ordered = [...groups.values()].sort(
      (a, b) =>
        Number(a.reversal) - Number(b.reversal) ||
        (labels.get(a.shiftId ?? '')?.startsAt.getTime() ?? 0) -
          (labels.get(b.shiftId ?? '')?.startsAt.getTime() ?? 0) ||
        String(a.shiftId).localeCompare(String(b.shiftId)),
    );
    return ordered.map((g, i) => {
      const label = g.shiftId ? labels.get(g.shiftId) : undefined;
      const name = label
        ? `${label.title ?? 'Shift'} (${localDay(label.startsAt, timeZone)})`
        : 'Tickets';
      const count = g.e.length;
      const tickets = `${count} ticket${count === 1 ? '' : 's'}`;
      return {
        position: i + 1,
        kind: g.reversal ? 'reversals' : 'shift',
        shift_id: g.shiftId,
        description: g.reversal
          ? `${name}: ${tickets} reopened, credited`
          : `${name}: ${tickets} resolved`,
        tickets: count,
        amountMinor: g.e.reduce((s, a) => s + a, 0),
      };
    });
  }
}
