import { Inject, Injectable } from '@nestjs/common';
import Stripe from 'stripe';
import { STRIPE } from '../stripe/stripe.module';
import { TransferLookupFailed } from './payout-line-send';
import { PayoutLineRow } from './payout-lines.repository';

/** What finding a line's transfer needs: the line, its run, the account it pays. */
type FindableLine = Pick<PayoutLineRow, 'id' | 'run_id'> & { stripe_account_id: string };

/**
 * Whether Stripe already holds a line's transfer, asked before sending the line again
 * (PayoutLineHandler).
 */
@Injectable()
export class PayoutTransferLookup {
  constructor(@Inject(STRIPE) private readonly stripe: Stripe) {}

  /** findTransfer, its failures told apart from Stripe's answers to the transfer itself. */
  async lookUp(line: FindableLine): Promise<Stripe.Transfer | null> {
    try {
      return await this.findTransfer(line);
    } catch (e) {
      // A 429 stays one: nothing was sent, the queue pauses and tries again (no attempt spent).
      if (e instanceof Stripe.errors.StripeRateLimitError) throw e;
      throw new TransferLookupFailed(e);
    }
  }

  /**
   * Every transfer Stripe holds for this line (one, unless something paid it twice): for the
   * runbook's booking by hand (PayoutLineBooking), which must not book one and hide another.
   */
  async lookUpAll(line: FindableLine): Promise<Stripe.Transfer[]> {
    const found: Stripe.Transfer[] = [];
    for await (const t of this.transfersOf(line)) {
      if (t.metadata?.payoutLineId === line.id) found.push(t);
    }
    return found;
  }

  /** A transfer Stripe already holds for this line, found by its metadata in the run's group. */
  private async findTransfer(line: FindableLine): Promise<Stripe.Transfer | null> {
    for await (const t of this.transfersOf(line)) {
      if (t.metadata?.payoutLineId === line.id) return t;
    }
    return null;
  }

  /**
   * The run's transfers to the line's account. Filtered by destination too: one short page, not
   * the whole run's transfers (50k lines would be 500 rate-limited pages, each retry making the
   * next 429 likelier).
   */
  private transfersOf(line: FindableLine) {
    return this.stripe.transfers.list({
      transfer_group: `run_${line.run_id}`,
      destination: line.stripe_account_id,
      limit: 100,
    });
  }
}
