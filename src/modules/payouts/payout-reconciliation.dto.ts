import { ApiProperty } from '@nestjs/swagger';
import { ApiInteger } from '../../common/http/openapi-property';
import { HELD_REASONS, LINE_STATUSES } from './payout.dto';
import { RECONCILIATION_CATEGORIES } from './payout-reconciliation';

export class ReconciliationLineDto {
  /**
   * Null for a transfer at Stripe whose metadata names no line.
   * @example f0e1d2c3-b4a5-4968-8776-a5b4c3d2e1f0
   */
  lineId: string | null;
  /** @example 3f2b8c1e-5d4a-4e7f-9b6c-2a1d0e9f8c7b */
  agentId: string | null;
  /** @example "Ana P." */
  agentDisplayName: string | null;
  /** @example ana.p@mail.test */
  agentEmail: string | null;
  /**
   * What the line sent (transferMinor), else what it was drafted for; null without a line.
   * @example 14300
   */
  @ApiInteger()
  amountMinor: number | null;
  /** @example matched */
  @ApiProperty({ enum: RECONCILIATION_CATEGORIES })
  category: string;
  /**
   * The line's state (null without a line); `heldReason` and `failureCode` say more.
   * @example paid
   */
  @ApiProperty({ enum: LINE_STATUSES, nullable: true })
  lineStatus: string | null;
  /** @example below_minimum */
  @ApiProperty({ enum: HELD_REASONS, nullable: true })
  heldReason: string | null;
  /** @example account_closed */
  failureCode: string | null;
  /** @example tr_1PqS8dT3uV4wX5yZa1b2c3d4 */
  stripeTransferId: string | null;
  /**
   * What the transfer at Stripe carries (null when Stripe has none).
   * @example 14300
   */
  @ApiInteger()
  stripeAmountMinor: number | null;
  /**
   * What the ledger booked back to the agent of the line's transfer (null for a line not paid).
   * @example 0
   */
  @ApiInteger()
  reversedMinor: number | null;
  /**
   * What Stripe reversed of that transfer (null when Stripe has none): another amount than
   * `reversedMinor` is a `reversal_mismatch`.
   * @example 0
   */
  @ApiInteger()
  stripeReversedMinor: number | null;
  /**
   * Deprecated (removed in the next release): `category` in the old words (`missing` for
   * missing_at_stripe, `unexpected` for unexpected_at_stripe).
   * @example matched
   */
  @ApiProperty({
    enum: ['matched', 'amount_mismatch', 'missing', 'unexpected', 'not_sent'],
    deprecated: true,
  })
  result: string;
}

export class ReconciliationCountsDto {
  /** @example 4 */
  @ApiInteger()
  matched: number;
  /** @example 0 */
  @ApiInteger()
  amount_mismatch: number;
  /** @example 0 */
  @ApiInteger()
  reversal_mismatch: number;
  /** @example 0 */
  @ApiInteger()
  missing_at_stripe: number;
  /** @example 0 */
  @ApiInteger()
  unexpected_at_stripe: number;
  /** @example 2 */
  @ApiInteger()
  not_sent: number;
}

export class ReconciliationDto {
  /** @example d4c3b2a1-9f8e-4d7c-b6a5-0e1f2d3c4b5a */
  runId: string;
  /** Lines per category; they add up to `lines.length`. */
  counts: ReconciliationCountsDto;
  /**
   * Deprecated (removed in the next release): counts.matched.
   * @example 4
   */
  @ApiInteger({ deprecated: true })
  matched: number;
  /**
   * Deprecated (removed in the next release): counts.amount_mismatch plus
   * counts.reversal_mismatch.
   * @example 0
   */
  @ApiInteger({ deprecated: true })
  mismatched: number;
  /**
   * Deprecated (removed in the next release): counts.missing_at_stripe.
   * @example 0
   */
  @ApiInteger({ deprecated: true })
  missing: number;
  /**
   * Deprecated (removed in the next release): counts.unexpected_at_stripe.
   * @example 0
   */
  @ApiInteger({ deprecated: true })
  unexpected: number;
  /** Every line of the run (held ones included), then the transfers no line accounts for. */
  lines: ReconciliationLineDto[];
}
