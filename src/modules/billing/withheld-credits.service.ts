import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { BillableEntry, LedgerService } from '../ledger/ledger.service';
import {
  DisputeRebillSteps,
  LOST_DISPUTE,
  stillWithheld,
  UNCOLLECTED,
  withheldNow,
} from './dispute-rebill-steps';
import { InvoicesRepository } from './invoices.repository';
import { InvoiceRow } from './invoice.rows';
import { InvoiceReceivablesRepository } from './invoice-receivables.repository';

/**
 * A reopened ticket's credit is the company's only if it paid for the ticket (or still owes
 * it). When the invoice that charged it is written off, the credit is withheld: billed back to
 * the company out of the bad debt, since that debt included the ticket's charge. So it is when
 * the company's bank took that invoice's payment back in a lost dispute that finance credited,
 * or billed again on an invoice written off in turn (`uncollected`). If the invoice is paid
 * after all, what was withheld is credited again. Both are billable entries, keyed by
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
   * What the company did not pay of the invoice, up to which the credits of its reopened tickets
   * are withheld: all of it written off (or voided); else, while its payment is lost to a
   * dispute, what credit notes let go of that and what of it was billed again on an invoice
   * written off in turn (DisputeRebillSteps.unpaidRebill).
   */
  async uncollected(em: EntityManager, invoice: InvoiceRow): Promise<number> {
    if (UNCOLLECTED.has(invoice.status)) return Number(invoice.total_minor);
    if (!LOST_DISPUTE.has(invoice.dispute_status ?? '')) return 0;
    return Number(invoice.credited_minor) + (await this.rebills.unpaidRebill(em, invoice));
  }

  /**
   * The invoice went unpaid (written off, or its payment taken back and not collected again):
   * withholds the credits of its tickets reopened so far, up to what went uncollected
   * (`uncollected`, the default) and no more than its total, less what the disputes it billed
   * again took of that (DisputeRebillSteps): one bad debt, billed back once. Not a credit that
   * lowered an invoice itself written off or voided (this one, or another): that invoice's bad
   * debt is smaller by it already, and the company had nothing of it.
   */
  async withhold(
    em: EntityManager,
    invoice: InvoiceRow,
    uncollected?: number,
    onlyClaims?: ReadonlySet<string>,
  ): Promise<BillableEntry[]> {
    const reopened = await this.ledger.reopenedCharges(em, invoice.id);
    const cap = Math.min(
      Number(invoice.total_minor),
      uncollected ?? (await this.uncollected(em, invoice)),
    );
    let room = cap - withheldNow(reopened) - (await this.rebills.takenOutOf(em, invoice));
    if (room <= 0) return [];
    const creditedOn = await this.invoices.statusesOf(em, [
      ...new Set(reopened.flatMap((r) => (r.creditInvoiceId ? [r.creditInvoiceId] : []))),
    ]);
    const booked: BillableEntry[] = [];
    for (const r of reopened) {
      if (room <= 0) break;
      if (onlyClaims && !onlyClaims.has(r.claimId)) continue;
      if (r.creditInvoiceId && UNCOLLECTED.has(creditedOn.get(r.creditInvoiceId) ?? '')) continue;
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
          : UNCOLLECTED.has(invoice.status)
            ? `Credit for a reopened ticket withheld: invoice ${invoice.number ?? invoice.id} was not paid`
            : `Credit for a reopened ticket withheld: the payment of invoice ${invoice.number ?? invoice.id} was taken back by a lost dispute and not collected again`,
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
    return withheldNow(await this.ledger.reopenedCharges(em, invoice.id));
  }

  /**
   * What is withheld of the credits of the invoice's reopened tickets beyond what it leaves
   * uncollected now is credited again (`restore`), `why` saying what was paid: the invoice that
   * billed its lost dispute again, written off, was paid after all. The caller holds the
   * invoice's lock.
   */
  async restoreBeyondUncollected(em: EntityManager, invoice: InvoiceRow, why: string) {
    const beyond = (await this.withheldOn(em, invoice)) - (await this.uncollected(em, invoice));
    if (beyond > 0) await this.restore(em, invoice, undefined, beyond, why);
  }

  /**
   * The written-off invoice was paid after all: what was withheld is credited again, as far as
   * its bill-back was collected (or is still to be). A bill-back on an invoice that was itself
   * written off or voided took nothing from the company: crediting it would give the reopened
   * ticket's credit twice. It is credited if that invoice is paid after all
   * (`restoreBilledBackOn`). No more than `upTo`, when given.
   */
  async restore(
    em: EntityManager,
    invoice: InvoiceRow,
    onlyClaims?: ReadonlySet<string>,
    upTo = Infinity,
    why = `invoice ${invoice.number ?? invoice.id} was paid`,
  ): Promise<void> {
    const reopened = (await this.ledger.reopenedCharges(em, invoice.id)).filter(
      (r) => !onlyClaims || onlyClaims.has(r.claimId),
    );
    const uncollected = await this.uncollectedBillBacks(
      em,
      reopened.map((r) => r.claimId),
    );
    let left = upTo;
    for (const r of reopened) {
      const amount = Math.min(stillWithheld(r) - (uncollected.get(r.claimId) ?? 0), left);
      if (amount <= 0) continue;
      left -= amount;
      await this.ledger.post(em, {
        kind: 'credit_restored',
        idempotencyKey: stepKey('credit-restored', r.claimId, r.restoredEntries),
        currency: invoice.currency,
        companyId: invoice.company_id,
        ticketId: r.ticketId,
        claimId: r.claimId,
        memo: `Credit for a reopened ticket restored: ${why}`,
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
      // Only a charging invoice written off and paid since, and only what is withheld beyond
      // what it leaves uncollected now: one whose payment a lost dispute took back is paid
      // too, and what its credit notes, or its billing again written off, withheld stays
      // withheld. (Not once that dispute was won on appeal: the money came back.)
      if (charging.status !== 'paid') continue;
      const beyond = (await this.withheldOn(em, charging)) - (await this.uncollected(em, charging));
      if (beyond <= 0) continue;
      const mine = new Set(claims.filter((c) => charged.get(c) === charging.id));
      await this.restore(em, charging, mine, beyond);
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
   * written off since, or whose payment a lost dispute took back and finance credited or billed
   * again unpaid, are withheld now (a ticket reopened after it), up to what that invoice left
   * uncollected. Returns the entries to bill with them.
   * The caller holds the company's invoicing lock; this locks the charging invoices, in id order.
   */
  async forClosing(em: EntityManager, entries: BillableEntry[]): Promise<BillableEntry[]> {
    const claims = entries.flatMap((e) =>
      e.kind === 'earning_reversal' && e.claimId ? [e.claimId] : [],
    );
    const charged = await this.ledger.earningInvoices(em, claims);
    // All locked, in id order, and judged after: a filter in the locking query would skip,
    // without waiting, one whose write-off or credit note is committing (its last committed
    // row does not match).
    const charging = await this.invoices.lockByIds(em, [...new Set(charged.values())]);
    const booked: BillableEntry[] = [];
    // Only the reversals this closing bills: one booked after its period is billed, and
    // withheld, by the next closing, so the bill-back never comes an invoice before its credit.
    const billed = new Set(claims);
    for (const invoice of charging) {
      const uncollectedMinor = await this.uncollected(em, invoice);
      if (uncollectedMinor <= 0) continue;
      const withheld = await this.withhold(em, invoice, uncollectedMinor, billed);
      booked.push(...withheld);
      if (withheld.length === 0) continue;
      await this.waiveIfSettled(em, invoice);
      // Withheld for the invoice that billed its lost dispute again, written off: that is the
      // invoice whose unpaid total they took back, and whose hold they may settle.
      const billing = await this.rebills.unpaidBilling(em, invoice);
      if (billing) await this.waiveIfSettled(em, billing);
    }
    return booked;
  }
}

/**
 * The key of a claim's next withheld (or restored) entry, from how many it has: the first keeps
 * the plain key. Callers hold the charging invoice's lock, so the count cannot move meanwhile,
 * and two callers that saw the same count book one entry.
 */
const stepKey = (prefix: string, claimId: string, entries: number) =>
  entries === 0 ? `${prefix}:${claimId}` : `${prefix}:${claimId}:${entries + 1}`;
