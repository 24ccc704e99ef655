import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { BillableEntry, LedgerService, ReopenedCharge } from '../ledger/ledger.service';
import { DisputeRebillSteps } from './dispute-rebill-steps';
import { InvoicesRepository } from './invoices.repository';
import { InvoiceRow } from './invoice.rows';
import { InvoiceReceivablesRepository } from './invoice-receivables.repository';

/**
 * A reopened ticket's credit is the company's only if it paid for the ticket (or still owes
 * it). When the invoice that charged it is written off, the credit is withheld: billed back to
 * the company out of the bad debt, since that debt included the ticket's charge. If the invoice
 * is paid after all, what was withheld is credited again. Both are billable entries, keyed by
 * claim and step, so that a write-off and a period's closing that both see a reopened ticket
 * book it once.
 * Callers hold the charging invoice's row lock (`FOR UPDATE`), so the write-off, its recovery
 * and a closing never book from a stale view of each other.
 */
@Injectable()
export class WithheldCreditsService {
  constructor(
    private readonly ledger: LedgerService,
    private readonly invoices: InvoicesRepository,
    private readonly receivables: InvoiceReceivablesRepository,
    private readonly rebills: DisputeRebillSteps,
  ) {}

  /**
   * The invoice was written off: withholds the credits of its tickets reopened so far, up to
   * its total (a credit carried into it already lowered what was written off), or up to
   * `uncollected` when less of it went uncollected (credit notes after a lost dispute), less
   * what the disputes it billed again took of that (DisputeRebillSteps): one bad debt, billed
   * back once.
   */
  async withhold(
    em: EntityManager,
    invoice: InvoiceRow,
    uncollected = Number(invoice.total_minor),
    onlyClaims?: ReadonlySet<string>,
  ): Promise<BillableEntry[]> {
    const reopened = await this.ledger.reopenedCharges(em, invoice.id);
    const cap = Math.min(Number(invoice.total_minor), uncollected);
    let room =
      cap -
      reopened.reduce((s, r) => s + stillWithheld(r), 0) -
      (await this.rebills.takenOutOf(em, invoice));
    const booked: BillableEntry[] = [];
    for (const r of reopened) {
      if (room <= 0) break;
      if (onlyClaims && !onlyClaims.has(r.claimId)) continue;
      // What is not withheld yet: all of it, the rest of a credit withheld in part (a credit
      // note leaving less uncollected than the credit), or all again after a restore whose
      // payment the company's bank then took back.
      const amount = Math.min(r.creditMinor - stillWithheld(r), room);
      if (amount <= 0) continue;
      room -= amount;
      const again = r.restoredMinor > 0;
      const { entryId } = await this.ledger.post(em, {
        kind: 'credit_withheld',
        idempotencyKey: stepKey('credit-withheld', r.claimId, r.withheldEntries),
        currency: invoice.currency,
        companyId: invoice.company_id,
        ticketId: r.ticketId,
        claimId: r.claimId,
        memo: again
          ? `Credit for a reopened ticket withheld again: the payment of invoice ${invoice.number ?? invoice.id} was taken back`
          : `Credit for a reopened ticket withheld: invoice ${invoice.number ?? invoice.id} was not paid`,
        lines: [
          { account: 'company_receivable', ownerId: invoice.company_id, amountMinor: amount },
          { account: 'platform_bad_debt', ownerId: null, amountMinor: -amount },
        ],
      });
      booked.push({ entryId, kind: 'credit_withheld', claimId: r.claimId, amountMinor: amount });
    }
    return booked;
  }

  /**
   * A written-off invoice whose unpaid total was all taken back (its reopened tickets' credits
   * withheld, its disputes' credit-backs withheld or their bad debt recovered) leaves the
   * company owing nothing for it: its hold is lifted (waived with no one's name), or the
   * company would stay blocked until it paid an amount it would be credited straight back.
   */
  async waiveIfSettled(em: EntityManager, invoice: InvoiceRow): Promise<void> {
    const unpaid = Number(invoice.total_minor) - Number(invoice.credited_minor);
    const taken =
      (await this.rebills.takenOutOf(em, invoice)) + (await this.withheldOn(em, invoice));
    if (taken >= unpaid) await this.receivables.waiveSettledHold(em, invoice.id);
  }

  /** What is withheld now of the credits of the invoice's reopened tickets. */
  async withheldOn(em: EntityManager, invoice: InvoiceRow): Promise<number> {
    const reopened = await this.ledger.reopenedCharges(em, invoice.id);
    return reopened.reduce((s, r) => s + stillWithheld(r), 0);
  }

  /**
   * The written-off invoice was paid after all: what was withheld is credited again, as far as
   * its bill-back was collected (or is still to be). A bill-back on an invoice that was itself
   * written off or voided took nothing from the company: crediting it would give the reopened
   * ticket's credit twice. It is credited if that invoice is paid after all
   * (`restoreBilledBackOn`).
   */
  async restore(
    em: EntityManager,
    invoice: InvoiceRow,
    onlyClaims?: ReadonlySet<string>,
  ): Promise<void> {
    const reopened = (await this.ledger.reopenedCharges(em, invoice.id)).filter(
      (r) => !onlyClaims || onlyClaims.has(r.claimId),
    );
    const uncollected = await this.uncollectedBillBacks(
      em,
      reopened.map((r) => r.claimId),
    );
    for (const r of reopened) {
      const amount = stillWithheld(r) - (uncollected.get(r.claimId) ?? 0);
      if (amount <= 0) continue;
      await this.ledger.post(em, {
        kind: 'credit_restored',
        idempotencyKey: stepKey('credit-restored', r.claimId, r.restoredEntries),
        currency: invoice.currency,
        companyId: invoice.company_id,
        ticketId: r.ticketId,
        claimId: r.claimId,
        memo: `Credit for a reopened ticket restored: invoice ${invoice.number ?? invoice.id} was paid`,
        lines: [
          { account: 'company_receivable', ownerId: invoice.company_id, amountMinor: -amount },
          { account: 'platform_bad_debt', ownerId: null, amountMinor: amount },
        ],
      });
    }
  }

  /**
   * An invoice written off (or paid late) is paid: the credits it billed back, withheld because
   * their tickets' charging invoice went unpaid, are credited again where that invoice has been
   * paid since (`restore` left them, the bill-back being uncollected then). Locks the charging
   * invoices, in id order, after the caller's lock of this one.
   */
  async restoreBilledBackOn(em: EntityManager, invoice: InvoiceRow): Promise<void> {
    const claims = await this.ledger.withheldBilledOn(em, invoice.id);
    if (claims.length === 0) return;
    const charged = await this.ledger.earningInvoices(em, claims);
    for (const charging of await this.invoices.lockByIds(em, [...new Set(charged.values())])) {
      // Only a charging invoice written off and paid since: one credited after a lost dispute
      // is paid too, and what its credit notes withheld stays withheld.
      // (Not once that dispute was won on appeal: the credited money came back.)
      if (charging.status !== 'paid') continue;
      if (Number(charging.credited_minor) > 0 && charging.dispute_status !== 'won') continue;
      const mine = new Set(claims.filter((c) => charged.get(c) === charging.id));
      await this.restore(em, charging, mine);
    }
  }

  /** Per claim, what of its withheld credit was billed on invoices written off or voided. */
  private async uncollectedBillBacks(
    em: EntityManager,
    claimIds: string[],
  ): Promise<Map<string, number>> {
    const billings = await this.ledger.withheldBillings(em, claimIds);
    const statuses = await this.invoices.statusesOf(em, [
      ...new Set(billings.map((b) => b.invoiceId)),
    ]);
    const uncollected = new Map<string, number>();
    for (const b of billings) {
      const status = statuses.get(b.invoiceId);
      if (status !== 'uncollectible' && status !== 'void') continue;
      uncollected.set(b.claimId, (uncollected.get(b.claimId) ?? 0) + b.amountMinor);
    }
    return uncollected;
  }

  /**
   * A period closes with these entries: the reversals among them whose charge was on an invoice
   * written off since, or credited after a lost dispute, are withheld now (a ticket reopened
   * after it), up to what that invoice left uncollected. Returns the entries to bill with them.
   * The caller holds the company's invoicing lock; this locks the charging invoices, in id order.
   */
  async forClosing(em: EntityManager, entries: BillableEntry[]): Promise<BillableEntry[]> {
    const claims = entries.flatMap((e) =>
      e.kind === 'earning_reversal' && e.claimId ? [e.claimId] : [],
    );
    const charged = await this.ledger.earningInvoices(em, claims);
    const uncollected = await this.invoices.lockUncollected(em, [...new Set(charged.values())]);
    const booked: BillableEntry[] = [];
    // Only the reversals this closing bills: one booked after its period is billed, and
    // withheld, by the next closing, so the bill-back never comes an invoice before its credit.
    const billed = new Set(claims);
    for (const { invoice, uncollectedMinor } of uncollected) {
      const withheld = await this.withhold(em, invoice, uncollectedMinor, billed);
      booked.push(...withheld);
      if (withheld.length > 0) await this.waiveIfSettled(em, invoice);
    }
    return booked;
  }
}

/** What is withheld of a reopened ticket's credit now. */
const stillWithheld = (r: ReopenedCharge) => r.withheldMinor - r.restoredMinor;

/**
 * The key of a claim's next withheld (or restored) entry, from how many it has: the first keeps
 * the plain key. Callers hold the charging invoice's lock, so the count cannot move meanwhile,
 * and two callers that saw the same count book one entry.
 */
const stepKey = (prefix: string, claimId: string, entries: number) =>
  entries === 0 ? `${prefix}:${claimId}` : `${prefix}:${claimId}:${entries + 1}`;
