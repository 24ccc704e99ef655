import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { LedgerService } from '../ledger/ledger.service';
import { InvoiceRow } from './invoice.rows';

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
 * (recovered by an appeal's money, or a credit-back billed back). The invoice's reopened
 * tickets' withheld credits take from the same bad debt (WithheldCreditsService), and each side
 * leaves room for the other: together they never bill back more than the invoice left unpaid.
 */
@Injectable()
export class DisputeRebillSteps {
  constructor(private readonly ledger: LedgerService) {}

  /** The disputes whose amount billed again the invoice billed. */
  async billedOn(em: EntityManager, billing: InvoiceRow): Promise<string[]> {
    const keys = await this.ledger.keysBilledOn(em, billing.id, 'dispute_rebilled');
    return keys.filter(isRebill).map((k) => k.slice(REBILLED.length));
  }

  /** What the disputes the invoice billed again took out of its bad debt (but `except`). */
  async takenOutOf(em: EntityManager, billing: InvoiceRow, except?: string): Promise<number> {
    let taken = 0;
    for (const other of await this.billedOn(em, billing)) {
      if (other !== except) taken += await this.takenBy(em, other);
    }
    return taken;
  }

  /** What the dispute's steps took out of the billing invoice's bad debt. */
  private async takenBy(em: EntityManager, disputeId: string): Promise<number> {
    const key = steps(disputeId);
    const recovered = await this.ledger.posted(em, key.recovered);
    const withheld = await this.ledger.posted(em, key.withheld);
    return (recovered?.debitMinor ?? 0) + (withheld?.debitMinor ?? 0);
  }
}
