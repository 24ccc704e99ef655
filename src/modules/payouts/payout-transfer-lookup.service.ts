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

  /**
   * A transfer Stripe already holds for this line, found by its metadata in the run's group. One
   * not reversed first: a second transfer finance reversed in full (a duplicate, after a restore
   * say) did not pay the line, and booked it would hand the reversal back to the agent, who was
   * paid by the other. Only reversed ones: the first (what it paid came back; the reversal's
   * event gives it to the agent's balance again), as before.
   */
  private async findTransfer(line: FindableLine): Promise<Stripe.Transfer | null> {
    let reversed: Stripe.Transfer | null = null;
    for await (const t of this.transfersOf(line)) {
      if (t.metadata?.payoutLineId !== line.id) continue;
      if (!t.reversed) return t;
      reversed ??= t;
    }
    return reversed;
  }

  /**
   * The run's transfers to the line's account. Filtered by destination too: one short page, not
   * the whole run's transfers (50k lines would be 500 rate-limited pages, each retry making the
   * next 429 likelier).
   *
   * Stripe refusing that filter (a 4xx: an account it no longer lets the platform name, say) is
   * no answer about the transfer, and it would refuse it again on every try: the line could be
   * neither paid (a transfer may exist) nor abandoned (nothing refused the transfer itself), for
   * good. The run's whole group is read instead, rarely and once per lookup; its refusal too
   * fails the lookup as before. Only before the first transfer was read: a later page refused
   * would read the first ones twice.
   */
  private async *transfersOf(line: FindableLine): AsyncGenerator<Stripe.Transfer> {
    const group = { transfer_group: `run_${line.run_id}`, limit: 100 };
    let read = 0;
    try {
      for await (const t of this.stripe.transfers.list({
        ...group,
        destination: line.stripe_account_id,
      })) {
        read += 1;
        yield t;
      }
    } catch (e) {
      if (read > 0 || !refusedFilter(e)) throw e;
      yield* this.stripe.transfers.list(group);
    }
  }
}

/** Stripe's refusal of the request itself (400, 403, 404), not its rate limit or trouble. */
const refusedFilter = (e: unknown) =>
  e instanceof Stripe.errors.StripeInvalidRequestError ||
  e instanceof Stripe.errors.StripePermissionError;
