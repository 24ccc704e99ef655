import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { LedgerService } from '../ledger/ledger.service';
import { DomainMetrics } from '../metrics/domain-metrics';
import { OutboxService } from '../outbox/outbox.service';
import { STRIPE_SETTINGS, StripeSettings } from '../stripe/stripe.module';
import { completeRunIfDone } from './payout-line-send';
import { PayoutLineSendingRepository } from './payout-line-sending.repository';
import { PayoutLineRow, PayoutLinesRepository } from './payout-lines.repository';
import { PayoutRunEvents } from './payout-run-events';
import { assertSameStripe } from './payout-run.errors';
import { PayoutRunsRepository } from './payout-runs.repository';
import { PayoutTransferLookup } from './payout-transfer-lookup.service';
import { StripeEventsRepository } from './stripe-events.repository';

/** What `bookFoundTransfer` did with a line. */
export type FoundTransferBooking =
  | { outcome: 'booked'; transferId: string; amountMinor: number; lineMinor: number }
  /** More than one transfer for the line: the agent was paid twice; nothing booked. */
  | { outcome: 'several'; transferIds: string[] }
  | { outcome: 'paid_already' | 'not_found' | 'no_account' };

/**
 * A line's transfer at Stripe booked: the payout in the ledger, the line paid. The job's last
 * phase (PayoutLineHandler), and the runbook's way to book a transfer the database lost track
 * of (`payouts:book-transfer`, after a restore: docs/operations.md).
 */
@Injectable()
export class PayoutLineBooking {
  // The job's context, as its other lines have (PayoutLineStart keeps it too).
  private readonly logger = new Logger('PayoutLineHandler');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly ledger: LedgerService,
    private readonly lines: PayoutLinesRepository,
    private readonly sending: PayoutLineSendingRepository,
    private readonly runEvents: PayoutRunEvents,
    private readonly metrics: DomainMetrics,
    private readonly stripeEvents: StripeEventsRepository,
    private readonly outbox: OutboxService,
    private readonly transferLookup: PayoutTransferLookup,
    private readonly runs: PayoutRunsRepository,
    @Inject(STRIPE_SETTINGS) private readonly stripe: StripeSettings,
  ) {}

  /**
   * What the transfer moved is booked, and is what the line paid (its run's totals, the
   * agent's payouts, the CSV, reconciliation): a transfer found for the line may have been made
   * for another amount (under an earlier key, before a retry fixed a new one), and the agent got
   * what it says; the rest stays available for the next run. Whatever the line's status: holding
   * a transfer means the line is paid (a stale duplicate job's failure, a hold, an abandon).
   */
  async book(
    line: Pick<
      PayoutLineRow,
      'id' | 'run_id' | 'agent_id' | 'currency' | 'transfer_minor' | 'amount_minor'
    >,
    transfer: Stripe.Transfer,
  ): Promise<void> {
    const sent = transfer.amount;
    const amount = lineAmount(line);
    if (sent !== amount) {
      this.logger.warn(
        { lineId: line.id, transferId: transfer.id, transferMinor: sent, lineMinor: amount },
        "the line's transfer at Stripe is for another amount; booking what it moved",
      );
    }
    await this.db.transaction(async (em) => {
      await this.ledger.post(em, {
        kind: 'payout',
        idempotencyKey: `payout:${line.id}`,
        currency: line.currency,
        agentId: line.agent_id,
        payoutLineId: line.id,
        memo: `Stripe transfer ${transfer.id}`,
        lines: [
          { account: 'agent_available', ownerId: line.agent_id, amountMinor: sent },
          { account: 'platform_clearing', ownerId: null, amountMinor: -sent },
        ],
      });
      await this.sending.markPaid(em, line.id, transfer.id, sent);
      // A reversal Stripe sent before this booking waited for it; it applies now. (One that
      // arrives while this transaction holds the line waits for its commit and finds it paid.)
      for (const eventId of await this.stripeEvents.waitingReversalsOf(em, line.id)) {
        await this.outbox.enqueue(em, 'stripe.event', { eventId });
      }
    });
    this.metrics.payoutLineFinished('paid');
    await completeRunIfDone(this.db, this.runEvents, line.run_id);
  }

  /**
   * Looks for the line's transfer at Stripe and books it if there is one. For a line a
   * database restore took back after its transfer was made: sent again it would be paid under
   * its key, but a line held first (the platform's balance, short by that very transfer, or
   * the agent's payouts disabled since) is never sent, and the next run would pay the agent
   * again. A line paid already is left as it is.
   */
  async bookFoundTransfer(lineId: string): Promise<FoundTransferBooking> {
    const line = await this.lines.find(this.db.manager, lineId);
    if (!line) throw new Error(`No payout line ${lineId}`);
    if (line.status === 'paid') {
      // Booked by an earlier run of this command (or the line's job) whose run check after the
      // commit never happened: the run completes now if every line is done.
      await completeRunIfDone(this.db, this.runEvents, line.run_id);
      return { outcome: 'paid_already' };
    }
    if (!line.stripe_account_id) return { outcome: 'no_account' };
    // Looked for through the Stripe the run was drafted against, or "none" would mislead.
    assertSameStripe((await this.runs.find(this.db.manager, line.run_id))!, this.stripe.mode);
    const found = await this.transferLookup.lookUpAll({
      ...line,
      stripe_account_id: line.stripe_account_id,
    });
    if (found.length === 0) return { outcome: 'not_found' };
    // A duplicate finance has reversed in full since leaves the one that paid the line.
    const standing = found.length > 1 ? found.filter((t) => !t.reversed) : found;
    if (standing.length !== 1) {
      const earliestFirst = [...found].sort((a, b) => a.created - b.created);
      return { outcome: 'several', transferIds: earliestFirst.map((t) => t.id) };
    }
    const [transfer] = standing;
    await this.book(line, transfer);
    return {
      outcome: 'booked',
      transferId: transfer.id,
      amountMinor: transfer.amount,
      lineMinor: lineAmount(line),
    };
  }
}

/** What the line pays: the amount fixed for its key, or its drafted amount if never sent. */
const lineAmount = (line: Pick<PayoutLineRow, 'transfer_minor' | 'amount_minor'>): number =>
  Number(line.transfer_minor ?? line.amount_minor);
