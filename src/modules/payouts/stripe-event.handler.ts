import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Stripe from 'stripe';
import { DataSource, EntityManager } from 'typeorm';
import { HandlesJob, JobHandler } from '../jobs/job-handler';
import { JobPayloads } from '../jobs/job-registry';
import { BillingService } from '../billing/billing.service';
import { InvoiceCollectionService } from '../billing/invoice-collection.service';
import { InvoiceDisputesService } from '../billing/invoice-disputes.service';
import { InvoiceRefundsService } from '../billing/invoice-refunds.service';
import { LedgerService } from '../ledger/ledger.service';
import { PayoutAccountRefresh } from './payout-account-refresh.service';
import { PayoutAccountsRepository } from './payout-accounts.repository';
import { PayoutLineReversalsRepository } from './payout-line-reversals.repository';
import { StripePacer } from '../stripe/stripe-pacer.service';
import { notThePlatforms } from './stripe-event-scope';
import { StripeEventsRepository } from './stripe-events.repository';

/**
 * Applies a stored Stripe event once (`processed_at`). `account.updated` keeps only the newest
 * state (events arrive out of order: an older one never overwrites a newer); `transfer.reversed`
 * books the reversed amount back to the agent's available balance; `checkout.session.completed`
 * saves a company's card (BillingService); `invoice.*` brings an invoice's state at Stripe
 * (paid, past due, uncollectible) and books what it moved (InvoiceCollectionService);
 * `charge.dispute.*` holds and settles a disputed invoice charge (InvoiceDisputesService);
 * `charge.refunded` and `charge.refund.updated` book a refund of one (InvoiceRefundsService).
 */
@Injectable()
@JobHandler('stripe.event')
export class StripeEventHandler implements HandlesJob<'stripe.event'> {
  private readonly logger = new Logger(StripeEventHandler.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly ledger: LedgerService,
    private readonly events: StripeEventsRepository,
    private readonly accounts: PayoutAccountsRepository,
    private readonly lines: PayoutLineReversalsRepository,
    private readonly billing: BillingService,
    private readonly invoices: InvoiceCollectionService,
    private readonly disputes: InvoiceDisputesService,
    private readonly refunds: InvoiceRefundsService,
    private readonly refreshAccount: PayoutAccountRefresh,
    private readonly pacer: StripePacer,
  ) {}

  async handle({ eventId }: JobPayloads['stripe.event']): Promise<{ applied: boolean }> {
    // An event is applied under its row's lock, and its Stripe calls are made there (the state
    // read must be the one written): the first call's turn in the pace is taken before the
    // lock, which is the only call of the frequent kinds (an account's, an invoice's). The
    // second and third of a dispute, a refund or a saved card wait for theirs under it
    // (StripePacer.prepaid says why not ahead).
    const type = await this.events.unprocessedType(this.db.manager, eventId);
    if (type === undefined) return { applied: false };
    const apply = () => this.apply(eventId);
    return callsStripe(type) ? this.pacer.prepaid(apply) : apply();
  }

  private apply(eventId: string): Promise<{ applied: boolean }> {
    return this.db.transaction(async (em) => {
      const row = await this.events.lock(em, eventId);
      if (!row || row.processed_at) return { applied: false };
      const event = row.payload;
      if (notThePlatforms(event)) {
        // Stored before the endpoint ignored such events (StripeWebhooksController): done with.
        this.logger.log(
          { eventId, type: event.type, stripeAccountId: event.account },
          "connected account's Stripe event of a kind applied only to the platform's ignored",
        );
        await this.events.markProcessed(em, eventId);
        return { applied: false };
      }
      if (event.type === 'account.updated') {
        // Event timestamps have one-second resolution: read the account as Stripe has it now
        // (the guard below still keeps an older event from winning over a newer one), and read
        // it under the account's lock, so that of two events of one second the one that writes
        // last also read last (else an older read could commit after a newer one, and win).
        const accountId = (event.data.object as Stripe.Account).id;
        if (!(await this.refreshAccount.refresh(em, accountId, event.created))) {
          this.logger.warn(
            { stripeAccountId: accountId, eventId },
            'account.updated for an account Stripe will not show (it left the platform, or the key is of another platform or mode); not applied',
          );
        }
      } else if (event.type === 'account.application.deauthorized' && event.account) {
        // A Connect event: `account` is the account that left, the object our application.
        await this.accounts.lockByStripeId(em, event.account);
        if (await this.accounts.markDeauthorized(em, event.account)) {
          this.logger.warn(
            { stripeAccountId: event.account },
            'payout account left the platform; closed',
          );
        }
      } else if (event.type === 'transfer.reversed') {
        const waits = await this.reversed(em, event.data.object as Stripe.Transfer);
        // Left unprocessed: booking the line paid sends it again (PayoutLineHandler, phase 3).
        if (waits) return { applied: false };
      } else if (event.type.startsWith('charge.dispute.')) {
        await this.disputes.applyEvent(em, event.data.object as Stripe.Dispute);
      } else if (event.type === 'charge.refunded' || event.type === 'charge.refund.updated') {
        await this.refunds.applyEvent(
          em,
          eventId,
          event.data.object as Stripe.Charge | Stripe.Refund,
        );
      } else if (event.type.startsWith('invoice.')) {
        await this.invoices.applyEvent(em, event.type, event.data.object as Stripe.Invoice);
      } else if (event.type === 'checkout.session.completed') {
        await this.billing.applyCheckoutCompleted(
          em,
          event.data.object as Stripe.Checkout.Session,
          event.created,
        );
      }
      await this.events.markProcessed(em, eventId);
      return { applied: true };
    });
  }

  /**
   * Books a reversal of one of our transfers; true when it must wait for its line to be booked
   * paid first. That can take long: the line's transfer call may have reached Stripe although
   * its answer never came back (retries ran out, the line failed), and only finance retrying the
   * line books it. Retrying the event on a schedule would lose it when the schedule ran out.
   */
  private async reversed(em: EntityManager, transfer: Stripe.Transfer): Promise<boolean> {
    const line = await this.lines.lockByTransfer(
      em,
      transfer.id,
      String(transfer.metadata?.payoutLineId ?? ''),
    );
    if (!line) return false; // not one of ours
    if (line.status !== 'paid') {
      this.logger.warn(
        { lineId: line.id, transferId: transfer.id, lineStatus: line.status },
        'transfer reversed before its payout line was booked paid; waits for the booking',
      );
      return true;
    }
    // Found by the line id in its metadata but not the transfer the line booked: a stray one
    // (reconciliation's `unexpected_at_stripe`). The ledger never booked it going out, so its
    // reversal coming back books nothing either: that keeps the ledger equal to Stripe.
    if (line.stripe_transfer_id !== transfer.id) {
      this.logger.warn(
        { lineId: line.id, transferId: transfer.id, booked: line.stripe_transfer_id },
        'reversal of a transfer the payout line did not book; not booked',
      );
      return false;
    }
    const delta = transfer.amount_reversed - Number(line.reversed_minor);
    if (delta <= 0) return false; // already booked (a duplicate or an older event)
    await this.ledger.post(em, {
      kind: 'payout_reversal',
      idempotencyKey: `payout-reversal:${transfer.id}:${transfer.amount_reversed}`,
      currency: line.currency,
      agentId: line.agent_id,
      payoutLineId: line.id,
      memo: `Stripe reversed ${delta} of transfer ${transfer.id}`,
      lines: [
        { account: 'agent_available', ownerId: line.agent_id, amountMinor: -delta },
        { account: 'platform_clearing', ownerId: null, amountMinor: delta },
      ],
    });
    await this.lines.setReversed(em, line.id, transfer.amount_reversed);
    return false;
  }
}

/**
 * Whether applying an event of this type reads Stripe (each branch of `apply`; kept with it):
 * an account; an invoice; a charge's invoice payments, then the dispute or the charge; a saved
 * card's setup intent, payment method and the customer's default.
 */
function callsStripe(type: string): boolean {
  return (
    type === 'account.updated' ||
    type === 'checkout.session.completed' ||
    type === 'charge.refunded' ||
    type === 'charge.refund.updated' ||
    type.startsWith('charge.dispute.') ||
    type.startsWith('invoice.')
  );
}

/**
 * The platform's own event types `apply` acts on (Connect's account events come with the
 * account, not on the platform's list): what `stripe:fetch-events` looks for.
 */
export function platformEventApplied(type: string): boolean {
  return type === 'transfer.reversed' || (callsStripe(type) && !type.startsWith('account.'));
}
