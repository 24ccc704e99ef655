import { DataSource } from 'typeorm';
import { PayoutLineRow } from './payout-lines.repository';
import { PayoutRunEvents } from './payout-run-events';

/** What the parts of a `payout.line` job share (PayoutLineHandler and its helpers). */

/** A line being sent: its amount is fixed for the key it goes under. */
export type SendingLine = PayoutLineRow & {
  transfer_minor: string;
  stripe_account_id: string;
  /** Stripe's 24 h and an hour to spare (KEY_EXPIRY_MS), read with the line (lockForSending). */
  key_expired?: boolean | null;
  /**
   * Whether the attempt before this one began less than a send's time ago (`sending_at`, read
   * with the line before this attempt set it): it may still be sending.
   */
  sent_recently?: boolean | null;
  /**
   * Whether it was drafted so long ago that Stripe may have forgotten its key (lockForSending):
   * a line first sent that late may be one a database restore took back (PayoutLineHandler).
   */
  drafted_long_ago?: boolean | null;
};

/**
 * Looking for the line's transfer failed: no answer about the transfer, whatever the status
 * (a 403 or 404 on the list, a 5xx, a timeout). Never a refusal of the transfer itself: one may
 * exist, so the line is tried again (a lookup first), never failed as refused, which would let
 * finance abandon it or send it under a fresh key.
 */
export class TransferLookupFailed extends Error {
  constructor(cause: unknown) {
    super(`Looking for the line's transfer at Stripe failed: ${(cause as Error).message}`, {
      cause,
    });
  }
}

/** After the line's own commit (PayoutRunsRepository.completeIfDone says why). */
export function completeRunIfDone(
  db: DataSource,
  runEvents: PayoutRunEvents,
  runId: string,
): Promise<boolean> {
  return db.transaction((em) => runEvents.completeIfDone(em, runId));
}
