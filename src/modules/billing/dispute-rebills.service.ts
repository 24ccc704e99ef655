import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { LedgerService } from '../ledger/ledger.service';
import { DisputeRebillSteps, REBILLED, steps, UNCOLLECTED, WITHHELD } from './dispute-rebill-steps';
import { InvoicesRepository } from './invoices.repository';
import { InvoiceRow } from './invoice.rows';
import { WithheldCreditsService } from './withheld-credits.service';

/**
 * A lost dispute billed again and then won on appeal: the company owes none of what was billed
 * again, so what it paid of it comes back. Whether it paid depends on the invoice that billed it
 * again ("the billing invoice"): paid or still collected, the amount is credited back on the
 * next invoice; written off (or voided), the company paid none of it, and the money the appeal
 * brought back recovers the bad debt instead. If the billing invoice is written off after the
 * credit-back, the credit is billed back; if paid after it was written off, it is credited.
 * Written off while the dispute is still lost, the company paid for none of the disputed
 * invoice's tickets: the credits of those reopened are withheld (their charge went unpaid), and
 * credited again if the invoice is paid after all or the dispute won on appeal.
 * (Before, the credit-back was given whatever became of the billing invoice: a company whose
 * invoice was written off was credited an amount it never paid.)
 * Callers hold the billing invoice's lock, or this takes it after the disputed invoice's, so a
 * write-off and an appeal committing together each see the other; every caller came in through
 * the company's invoicing lock first (InvoicesRepository.lockForBooking), so taking a second
 * invoice here cannot deadlock with a use case that holds it and wants the first.
 */
@Injectable()
export class DisputeRebillsService {
  constructor(
    private readonly ledger: LedgerService,
    private readonly invoices: InvoicesRepository,
    private readonly rebills: DisputeRebillSteps,
    private readonly withheldCredits: WithheldCreditsService,
  ) {}

  /**
   * The dispute on `invoice` was won on appeal after `rebilled` of it was billed again; the
   * appeal's entry left that amount in platform_disputes, and this books where it goes.
   */
  async appealWon(
    em: EntityManager,
    invoice: InvoiceRow,
    disputeId: string,
    rebilled: number,
    memo: string,
  ): Promise<void> {
    const key = steps(disputeId);
    const billedOn = await this.ledger.invoiceOf(em, REBILLED + disputeId);
    const [billing] = billedOn ? await this.invoices.lockByIds(em, [billedOn]) : [];
    const recovered =
      billing && UNCOLLECTED.has(billing.status)
        ? Math.min(rebilled, await this.rebills.room(em, billing, disputeId))
        : 0;
    const common = { currency: invoice.currency, companyId: invoice.company_id };
    if (recovered > 0) {
      await this.ledger.post(em, {
        ...common,
        kind: 'dispute_resolution',
        idempotencyKey: key.recovered,
        memo: `${memo}: won on appeal; what was billed again went unpaid (invoice ${billing.number ?? billing.id} written off), its bad debt recovered`,
        lines: [
          { account: 'platform_disputes', ownerId: null, amountMinor: recovered },
          { account: 'platform_bad_debt', ownerId: null, amountMinor: -recovered },
        ],
      });
      await this.withheldCredits.waiveIfSettled(em, billing);
    }
    // The rest (all of it unless the billing invoice was written off; what it charged beyond
    // its total otherwise, its credits having paid that) is the company's again.
    const returned = rebilled - recovered;
    if (returned > 0) {
      await this.ledger.post(em, {
        ...common,
        kind: 'dispute_rebilled',
        idempotencyKey: key.returned,
        memo: `${memo}: won on appeal, what was billed again credited back`,
        lines: [
          { account: 'platform_disputes', ownerId: null, amountMinor: returned },
          { account: 'company_receivable', ownerId: invoice.company_id, amountMinor: -returned },
        ],
      });
    }
  }

  /**
   * The billing invoice was written off (or voided), locked by the caller: a credit-back given
   * for a dispute it billed again, won on appeal since, is billed back, up to what the invoice
   * left unpaid. (Not when the appeal found it written off already: it recovered the bad debt.)
   * A dispute still lost: the credits of the disputed invoice's reopened tickets are withheld,
   * up to the same room (WithheldCreditsService.uncollected).
   */
  async writtenOff(em: EntityManager, billing: InvoiceRow): Promise<void> {
    for (const disputeId of await this.rebills.billedOn(em, billing)) {
      const key = steps(disputeId);
      const returned = await this.ledger.posted(em, key.returned);
      if (!returned) {
        const disputed = await this.lockDisputed(em, billing, disputeId);
        if (disputed) await this.withheldCredits.withhold(em, disputed);
        continue;
      }
      // Booked already (Stripe voiding an invoice it had marked uncollectible applies this
      // again), or the appeal found it written off and recovered the bad debt.
      if (await this.ledger.posted(em, key.recovered)) continue;
      if (await this.ledger.posted(em, key.withheld)) continue;
      // Billed on this invoice too (the appeal came before it closed): the charge and its
      // credit-back cancelled out on it, and nothing of the dispute went unpaid.
      if ((await this.ledger.invoiceOf(em, key.returned)) === billing.id) continue;
      const amount = Math.min(returned.debitMinor, await this.rebills.room(em, billing, disputeId));
      if (amount <= 0) continue;
      await this.ledger.post(em, {
        kind: 'dispute_rebilled',
        idempotencyKey: key.withheld,
        currency: billing.currency,
        companyId: billing.company_id,
        memo: `Dispute ${disputeId} won on appeal: its credit-back withheld, invoice ${billing.number ?? billing.id} that billed it again was not paid`,
        lines: [
          { account: 'company_receivable', ownerId: billing.company_id, amountMinor: amount },
          { account: 'platform_bad_debt', ownerId: null, amountMinor: -amount },
        ],
      });
    }
    await this.withheldCredits.waiveIfSettled(em, billing);
  }

  /**
   * The written-off billing invoice, locked by the caller, was paid after all: the company paid
   * what it billed again, so what the appeal recovered, or withheld, is credited back.
   */
  async paidAfterAll(em: EntityManager, billing: InvoiceRow): Promise<void> {
    for (const disputeId of await this.rebills.billedOn(em, billing)) {
      const key = steps(disputeId);
      // The disputed invoice's tickets are paid for after all: their credits withheld for the
      // write-off are the company's again.
      const disputed = await this.lockDisputed(em, billing, disputeId);
      if (disputed) {
        await this.withheldCredits.restoreBeyondUncollected(
          em,
          disputed,
          `invoice ${billing.number ?? billing.id}, which billed the lost dispute on invoice ${disputed.number ?? disputed.id} again, was paid`,
        );
      }
      const recovered = (await this.ledger.posted(em, key.recovered))?.debitMinor ?? 0;
      // The credit-back billed back: credited again only as far as that bill-back is paid or
      // still to be (written off too, the company paid none of it; its payment restores it).
      const withheld = (await this.ledger.posted(em, key.withheld))?.debitMinor ?? 0;
      const billedBackOn = withheld > 0 ? await this.ledger.invoiceOf(em, key.withheld) : null;
      const [billBack] = billedBackOn ? await this.invoices.lockByIds(em, [billedBackOn]) : [];
      const collected = billBack && UNCOLLECTED.has(billBack.status) ? 0 : withheld;
      await this.restore(em, billing, disputeId, key.restored, recovered + collected);
    }
    // An invoice that billed a credit-back back, paid after all: the credit-back is the
    // company's again where the invoice that billed the dispute again was paid meanwhile, less
    // what that invoice's own late payment restored of it (all of it when the bill-back was
    // not yet billed, or still collectable, then: credited twice before).
    for (const disputeId of await this.withheldBilledOn(em, billing)) {
      const key = steps(disputeId);
      const billedOn = await this.ledger.invoiceOf(em, REBILLED + disputeId);
      const [rebilling] = billedOn ? await this.invoices.lockByIds(em, [billedOn]) : [];
      if (rebilling?.status !== 'paid') continue;
      const withheld = (await this.ledger.posted(em, key.withheld))?.debitMinor ?? 0;
      const restored =
        ((await this.ledger.posted(em, key.restored))?.debitMinor ?? 0) -
        ((await this.ledger.posted(em, key.recovered))?.debitMinor ?? 0);
      await this.restore(
        em,
        billing,
        disputeId,
        key.restoredLate,
        withheld - Math.max(0, restored),
      );
    }
  }

  private async restore(
    em: EntityManager,
    paid: InvoiceRow,
    disputeId: string,
    idempotencyKey: string,
    amount: number,
  ): Promise<void> {
    if (amount <= 0) return;
    await this.ledger.post(em, {
      kind: 'dispute_rebilled',
      idempotencyKey,
      currency: paid.currency,
      companyId: paid.company_id,
      memo: `Dispute ${disputeId} won on appeal: what was billed again credited back, invoice ${paid.number ?? paid.id} having been paid`,
      lines: [
        { account: 'platform_bad_debt', ownerId: null, amountMinor: amount },
        { account: 'company_receivable', ownerId: paid.company_id, amountMinor: -amount },
      ],
    });
  }

  /** The disputes whose credit-back the invoice billed back. */
  private async withheldBilledOn(em: EntityManager, invoice: InvoiceRow): Promise<string[]> {
    const keys = await this.ledger.keysBilledOn(em, invoice.id, 'dispute_rebilled');
    return keys.filter((k) => k.startsWith(WITHHELD)).map((k) => k.slice(WITHHELD.length));
  }

  /**
   * The invoice whose lost dispute the billing invoice billed again, locked after it (the
   * caller came in through the company's invoicing lock, so this cannot deadlock).
   */
  private async lockDisputed(
    em: EntityManager,
    billing: InvoiceRow,
    disputeId: string,
  ): Promise<InvoiceRow | undefined> {
    const found = await this.invoices.disputedBy(em, billing.company_id, disputeId);
    if (!found) return undefined;
    const [disputed] = await this.invoices.lockByIds(em, [found.id]);
    return disputed;
  }
}
