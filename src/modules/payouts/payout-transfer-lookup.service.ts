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

  /** A transfer Stripe already holds for this line, found by its metadata in the run's group. */
  private async findTransfer(line: FindableLine): Promise<Stripe.Transfer | null> {
    // Filtered by destination too: one short page, not the whole run's transfers (50k lines
    // would be 500 rate-limited pages, each retry making the next 429 likelier).
    const group = this.stripe.transfers.list({
      transfer_group: `run_${line.run_id}`,
      destination: line.stripe_account_id,
      limit: 100,
    });
    for await (const t of group) {
      if (t.metadata?.payoutLineId === line.id) return t;
    }
    return null;
  }
}
