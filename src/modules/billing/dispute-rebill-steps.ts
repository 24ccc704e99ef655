import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { LedgerService, ReopenedCharge } from '../ledger/ledger.service';
import { InvoicesRepository } from './invoices.repository';
import { InvoiceRow } from './invoice.rows';

/** Lost, or lost and appealed: the loss is booked (the company owes the amount again). */
export const LOST_DISPUTE: ReadonlySet<string> = new Set([
  'lost',
  'appeal_needs_response',
  'appeal_under_review',
]);

/** Statuses of an invoice Stripe will not collect: written off, or voided. */
export const UNCOLLECTED: ReadonlySet<string> = new Set(['uncollectible', 'void']);

/** What is withheld of a reopened ticket's credit now. */
export const stillWithheld = (r: ReopenedCharge) => r.withheldMinor - r.restoredMinor;
/** What is withheld now of the credits of these reopened tickets. */
export const withheldNow = (reopened: ReopenedCharge[]) =>
  reopened.reduce((s, r) => s + stillWithheld(r), 0);

/** The key of a lost dispute's amount billed again (LostDisputesService.billAgain). */
export const REBILLED = 'dispute-rebilled:';
/** Whether a `dispute_rebilled` entry is the amount billed again, not what became of it. */
export const isRebill = (key: string | undefined) => key?.startsWith(REBILLED) ?? false;

export const WITHHELD = 'dispute-rebill-withheld:';
/** Whether a `dispute_rebilled` entry bills a credit-back back (else it credits one). */
export const isWithheldCreditBack = (key: string | undefined) => key?.startsWith(WITHHELD) ?? false;

/** The steps of a rebilled dispute won on appeal, each booked once. */
export const steps = (disputeId: string) => ({
  /** Credited back to the company on its next invoice. */
  returned: `dispute-rebill-returned:${disputeId}`,
  /** The bad debt that wrote off the invoice billing it again, recovered instead. */
  recovered: `dispute-rebill-recovered:${disputeId}`,
  /** The credit-back billed back: the invoice billing it again was written off after it. */
  withheld: `${WITHHELD}${disputeId}`,
  /** Credited after all: that written-off invoice was paid. */
  restored: `dispute-rebill-restored:${disputeId}`,
  /** Credited after all, later: the invoice that billed the credit-back back was paid too. */
  restoredLate: `dispute-rebill-restored-late:${disputeId}`,
});

/**
 * What the disputes an invoice billed again took out of its bad debt once it was written off
 * (recovered by an appeal's money, a credit-back billed back, or the credits of the disputed
 * invoice's reopened tickets withheld). The invoice's own reopened tickets' withheld credits take
 * from the same bad debt (WithheldCreditsService), and each side leaves room for the other:
 * together they never bill back more than the invoice left unpaid.
 */
@Injectable()
export class DisputeRebillSteps {
  constructor(
    private readonly ledger: LedgerService,
    private readonly invoices: InvoicesRepository,
  ) {}

  /** The disputes whose amount billed again the invoice billed. */
  async billedOn(em: EntityManager, billing: InvoiceRow): Promise<string[]> {
    const keys = await this.ledger.keysBilledOn(em, billing.id, 'dispute_rebilled');
    return keys.filter(isRebill).map((k) => k.slice(REBILLED.length));
  }

  /** What the disputes the invoice billed again took out of its bad debt (but `except`). */
  async takenOutOf(em: EntityManager, billing: InvoiceRow, except?: string): Promise<number> {
    let taken = 0;
    for (const other of await this.billedOn(em, billing)) {
      if (other !== except) taken += await this.takenBy(em, billing, other);
    }
    return taken;
  }

  /**
   * What of the written-off billing invoice's total is left to take out of its bad debt for
   * this dispute: its total less what the other disputes it billed again took, and less the
   * credits of its own reopened tickets withheld. (A total lowered by credits paid for part of
   * what it billed again.)
   */
  async room(em: EntityManager, billing: InvoiceRow, disputeId: string): Promise<number> {
    const taken =
      (await this.takenOutOf(em, billing, disputeId)) +
      withheldNow(await this.ledger.reopenedCharges(em, billing.id));
    return Math.max(0, Number(billing.total_minor) - taken);
  }

  /**
   * What of the lost dispute on `disputed` its billing again left unpaid: nothing unless the
   * invoice that billed it again was written off (or voided), and then no more than what that
   * invoice left unpaid for it (`room`). The company paid none of that amount for the disputed
   * invoice's tickets (its bank took their payment back), so their credits are withheld up to
   * it, as for a write-off (WithheldCreditsService.uncollected). Nothing once won on appeal: the
   * money came back.
   */
  async unpaidRebill(em: EntityManager, disputed: InvoiceRow): Promise<number> {
    const billing = await this.unpaidBilling(em, disputed);
    if (!billing) return 0;
    const rebilled = Number(disputed.rebilled_minor);
    return Math.min(rebilled, await this.room(em, billing, disputed.dispute_id!));
  }

  /**
   * The invoice that billed the lost dispute on `disputed` again, if it was written off (or
   * voided) while the dispute stands lost.
   */
  async unpaidBilling(em: EntityManager, disputed: InvoiceRow): Promise<InvoiceRow | undefined> {
    if (Number(disputed.rebilled_minor) <= 0) return undefined;
    if (!LOST_DISPUTE.has(disputed.dispute_status ?? '')) return undefined;
    const billedOn = await this.ledger.invoiceOf(em, REBILLED + disputed.dispute_id);
    const billing = billedOn ? await this.invoices.find(em, billedOn) : undefined;
    return billing && UNCOLLECTED.has(billing.status) ? billing : undefined;
  }

  /** What the dispute's steps took out of the billing invoice's bad debt. */
  private async takenBy(em: EntityManager, billing: InvoiceRow, disputeId: string) {
    const key = steps(disputeId);
    const recovered = await this.ledger.posted(em, key.recovered);
    const withheld = await this.ledger.posted(em, key.withheld);
    return (
      (recovered?.debitMinor ?? 0) +
      (withheld?.debitMinor ?? 0) +
      (await this.creditsWithheld(em, billing, disputeId))
    );
  }

  /**
   * What of the disputed invoice's reopened tickets' credits is withheld for the unpaid billing
   * again: all that is withheld of them beyond what its credit notes let go (those withhold up
   * to the credited amount alone). None once the dispute is won: the credits were restored.
   */
  private async creditsWithheld(
    em: EntityManager,
    billing: InvoiceRow,
    disputeId: string,
  ): Promise<number> {
    const disputed = await this.invoices.disputedBy(em, billing.company_id, disputeId);
    if (!disputed || !LOST_DISPUTE.has(disputed.dispute_status ?? '')) return 0;
    const withheld = withheldNow(await this.ledger.reopenedCharges(em, disputed.id));
    return Math.max(0, withheld - Number(disputed.credited_minor));
  }
}
