import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { formatMoney } from '../../common/money/format-money';
import { keyReused } from '../idempotency/idempotency-keys.service';
import { LedgerService } from '../ledger/ledger.service';
import { CreditControlService } from './credit-control.service';
import { LOST_DISPUTE } from './dispute-rebill-steps';
import { InvoicesRepository } from './invoices.repository';
import { PaidInvoicesRepository } from './paid-invoices.repository';
import { InvoiceRow } from './invoice.rows';
import { CreateCreditNoteDto, FinanceInvoiceDto } from './receivables.dto';
import { ReceivablesService } from './receivables.service';
import { WithheldCreditsService } from './withheld-credits.service';

/** What is left of an invoice's lost dispute: neither credited nor billed again yet. */
const unsettled = (invoice: InvoiceRow) =>
  (LOST_DISPUTE.has(invoice.dispute_status ?? '') ? Number(invoice.disputed_minor) : 0) -
  Number(invoice.credited_minor) -
  Number(invoice.rebilled_minor);

/**
 * What a lost dispute made owed again (the company's bank took the payment back) is settled by
 * finance one of two ways: a credit note lets it go, as bad debt; billing it again puts the rest
 * on the company's next invoice, where Stripe collects it. Never both for the same amount.
 */
@Injectable()
export class LostDisputesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly invoices: InvoicesRepository,
    private readonly paid: PaidInvoicesRepository,
    private readonly ledger: LedgerService,
    private readonly credit: CreditControlService,
    private readonly withheld: WithheldCreditsService,
    private readonly receivables: ReceivablesService,
  ) {}

  /**
   * A credit note: what a lost dispute made owed again, not to be collected (the cardholder's
   * bank kept it). It leaves the company's receivable as bad debt, once per request (the
   * Idempotency-Key), never more than the dispute took less earlier credits and what was billed
   * again, nor more than the company owes. Only that: the ledger is all a credit note changes,
   * so on an invoice Stripe still collects (open, past due) it would be charged in full anyway,
   * and a write-off after it would write off the credit twice; on a paid invoice without a lost
   * dispute the company owes nothing of it, and no later invoice would carry the credit to it.
   */
  async creditNote(
    actor: Actor,
    invoiceId: string,
    input: CreateCreditNoteDto,
    idempotencyKey: string,
  ): Promise<FinanceInvoiceDto> {
    const { userId } = requireUser(actor, 'finance');
    // Keyed by the request, not at random: when the credit note committed but its key kept no
    // answer (the key expired, or was taken over from a process stalled past its lease), the
    // retry finds it here instead of crediting again.
    // (Idempotency-Keys are each user's own, as the idempotency module scopes them.)
    const entryKey = `credit-note:${invoiceId}:${userId}:${idempotencyKey}`;
    await this.db.transaction(async (em) => {
      const invoice = await this.lockInvoice(em, invoiceId);
      const memo = `Credit note on invoice ${invoice.number ?? invoice.id}: ${input.reason.trim()}`;
      const earlier = await this.ledger.posted(em, entryKey);
      if (earlier) {
        // The same request again: answered as the invoice stands. Another under its key (the
        // stored answer, and its fingerprint, gone) is refused, as the key's check does while
        // the answer is stored.
        if (earlier.debitMinor === input.amountMinor && earlier.memo === memo) return;
        throw keyReused(idempotencyKey);
      }
      // A payment, reversal or write-off on another invoice needs no lock here: one committing
      // beside this note leaves the ledger as if the note had come first, which it may.
      const owed =
        (await this.ledger.balances(em, invoice.company_id)).find(
          (b) => b.account === 'company_receivable' && b.currency === invoice.currency,
        )?.balance ?? 0;
      const limit = Math.min(unsettled(invoice), owed);
      if (input.amountMinor > limit) {
        throw new DomainError(
          'CREDIT_EXCEEDS_OWED',
          `At most ${formatMoney({ currency: invoice.currency, amountMinor: Math.max(0, limit) })} ` +
            'can be credited on this invoice now (what a lost dispute took back, less earlier ' +
            'credits and what was billed again, and no more than the company owes)',
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
      await this.paid.addCredited(em, invoiceId, input.amountMinor);
      // What is credited here the company never paid (its bank took it back): the credits of
      // the invoice's reopened tickets are withheld up to it, as for a write-off.
      const credited = Number(invoice.credited_minor) + input.amountMinor;
      await this.withheld.withhold(em, { ...invoice, credited_minor: String(credited) });
      await this.credit.standing(em, invoice.company_id);
    });
    return this.receivables.one(invoiceId);
  }

  /**
   * Bills the rest of a lost dispute (less credit notes) again: it leaves the receivable owed
   * since the dispute and comes back as a billable entry, which the company's next invoice
   * carries as a `rebilled_disputes` line. The receivable is unchanged; only when it is owed
   * moves. Once per invoice: billed already, the invoice is answered as it is.
   */
  async billAgain(actor: Actor, invoiceId: string): Promise<FinanceInvoiceDto> {
    const { userId } = requireUser(actor, 'finance');
    await this.db.transaction(async (em) => {
      const invoice = await this.lockInvoice(em, invoiceId);
      if (invoice.rebilled_at) return;
      const amount = unsettled(invoice);
      if (amount <= 0) {
        throw new DomainError(
          'INVOICE_STATE',
          LOST_DISPUTE.has(invoice.dispute_status ?? '')
            ? 'What the lost dispute took back was credited in full: nothing is left to bill'
            : 'Only what a lost dispute took back can be billed again',
          { status: invoice.status, disputeStatus: invoice.dispute_status },
        );
      }
      const common = {
        currency: invoice.currency,
        companyId: invoice.company_id,
        createdBy: userId,
      };
      const number = invoice.number ?? invoice.id;
      // Out of the receivable owed since the dispute, back through the disputes account…
      await this.ledger.post(em, {
        ...common,
        kind: 'dispute_resolution',
        idempotencyKey: `dispute-rebill-moved:${invoice.dispute_id}`,
        memo: `Lost dispute ${invoice.dispute_id} on invoice ${number}: moved to the next invoice`,
        lines: [
          { account: 'platform_disputes', ownerId: null, amountMinor: amount },
          { account: 'company_receivable', ownerId: invoice.company_id, amountMinor: -amount },
        ],
      });
      // …and in again as an entry the next closing bills.
      await this.ledger.post(em, {
        ...common,
        kind: 'dispute_rebilled',
        idempotencyKey: `dispute-rebilled:${invoice.dispute_id}`,
        memo: `Lost dispute ${invoice.dispute_id} on invoice ${number}: billed again`,
        lines: [
          { account: 'company_receivable', ownerId: invoice.company_id, amountMinor: amount },
          { account: 'platform_disputes', ownerId: null, amountMinor: -amount },
        ],
      });
      await this.paid.setRebilled(em, invoiceId, amount, userId);
    });
    return this.receivables.one(invoiceId);
  }

  /**
   * The company's lock in the invoice's currency before the invoice's (lockForBooking): a
   * credit note's cap reads the receivable, and two on two invoices of the company must not
   * both read it before either books.
   */
  private async lockInvoice(em: EntityManager, invoiceId: string): Promise<InvoiceRow> {
    const invoice = await this.invoices.lockForBooking(em, { id: invoiceId });
    if (!invoice) throw DomainError.notFound('Invoice');
    return invoice;
  }
}
