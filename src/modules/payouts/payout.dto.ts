import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, Validate } from 'class-validator';
import { Length } from '../../common/validation/text-and-numbers';
import { ApiInstant, ApiInteger } from '../../common/http/openapi-property';
import { IsCurrencyCode } from '../../common/money/money.dto';
import { PageQueryDto } from '../../common/pagination/page.dto';
import { IsInstant } from '../../common/validation/is-instant';
import { IsOmittable } from '../../common/validation/omittable';

export const RUN_STATUSES = [
  'draft',
  'approved',
  'executing',
  'completed',
  'completed_with_failures',
  'cancelled',
] as const;
export const LINE_STATUSES = [
  'held',
  'pending',
  'processing',
  'paid',
  'failed',
  'abandoned',
] as const;
export const HELD_REASONS = [
  'no_account',
  'payouts_disabled',
  'below_minimum',
  'negative_balance',
  // a line of an earlier run is not settled yet (failed or in flight): pay that one first
  'unsettled_line',
  // at execution the agent's available balance had fallen below the minimum (a clawback)
  'balance_changed',
  // at execution the platform's Stripe balance could not cover the line (paid in a later run)
  'insufficient_platform_balance',
  // at execution Stripe had disabled the agent's payouts since the draft (paid in a later run)
  'payouts_disabled_since_draft',
] as const;

export class CreatePayoutRunDto {
  /** @example EUR */
  @Validate(IsCurrencyCode)
  currency: string;

  /**
   * Balances as of this instant (default now; not in the future).
   * @example 2030-05-31T23:59:59Z
   */
  @ApiInstant()
  @IsOmittable()
  @IsInstant()
  cutoff?: string;
}

export class AbandonPayoutLineDto {
  /**
   * Why finance gives up on this line (kept on the line, for the audit).
   * @example "The agent closed this bank account"
   */
  @IsString()
  @Length(3, 500)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason: string;
}

export class PayoutRunsQueryDto extends PageQueryDto {
  @IsOptional()
  @IsIn(RUN_STATUSES)
  status?: (typeof RUN_STATUSES)[number];
}

export class PayoutLineDto {
  /** @example f0e1d2c3-b4a5-4968-8776-a5b4c3d2e1f0 */
  id: string;
  /** @example 3f2b8c1e-5d4a-4e7f-9b6c-2a1d0e9f8c7b */
  agentId: string;
  /**
   * The agent's display name and email now (null if the agent no longer exists).
   * @example "Ana P."
   */
  agentDisplayName: string | null;
  /** @example ana.p@mail.test */
  agentEmail: string | null;
  /**
   * The agent's Stripe Connect account (null when the agent has none: held as no_account).
   * @example acct_1PqR2sT3uV4wX5yZ
   */
  stripeAccountId: string | null;
  /**
   * What was drafted (and approved).
   * @example 14300
   */
  @ApiInteger()
  amountMinor: number;
  /**
   * What the transfer carries, fixed when the line is sent: the drafted amount, or less if the
   * agent's available balance fell since the draft; once paid, what the transfer that paid it
   * carried (one an earlier attempt made may carry less). Null until sent.
   * @example 14300
   */
  @ApiInteger()
  transferMinor: number | null;
  /** @example EUR */
  currency: string;
  /** @example paid */
  @ApiProperty({ enum: LINE_STATUSES })
  status: string;
  /**
   * Why the line is held (null unless held).
   * @example below_minimum
   */
  @ApiProperty({ enum: HELD_REASONS, nullable: true })
  heldReason: string | null;
  /** @example tr_1PqS8dT3uV4wX5yZa1b2c3d4 */
  stripeTransferId: string | null;
  /**
   * Transfers tried for this line.
   * @example 1
   */
  @ApiInteger()
  attempts: number;
  /**
   * Stripe's code for the last refusal.
   * @example account_closed
   */
  failureCode: string | null;
  /** @example "The destination account is closed." */
  failureMessage: string | null;
  /**
   * Stripe refused the line's last transfer for good (a 4xx, such as a closed account): a failed
   * line like this may be abandoned. A line failed otherwise (its retries of 429s or 5xx used
   * up) may have a transfer at Stripe: retry it, never abandon it.
   * @example true
   */
  refused: boolean;
  /**
   * Set when Stripe answered the line's transfer with a server error it keeps under the line's
   * key (the outcome is unknown until the key expires, after 24 h): the line is sent again by
   * itself at this instant, after a lookup, and a retry before it leaves the line failed.
   * @example 2030-06-02T09:22:10.000Z
   */
  resendAt: Date | null;
  /**
   * What Stripe took back from the transfer since (0 for most).
   * @example 0
   */
  @ApiInteger()
  reversedMinor: number;
  /** @example 2030-06-01T08:22:10.000Z */
  paidAt: Date | null;
  /**
   * Set when finance gave up on a line Stripe refused; its money stays available.
   * @example "The agent closed this bank account"
   */
  abandonedReason: string | null;
  /** @example 9b2e4d6f-8a1c-4e3b-a5d7-f9c1e3b5d7a9 */
  abandonedBy: string | null;
  /** @example 2030-06-02T10:00:00.000Z */
  abandonedAt: Date | null;
}

export class PayoutRunTotalsDto {
  /**
   * Lines drafted payable, and their drafted amounts (including those held at execution).
   * @example 5
   */
  @ApiInteger()
  draftedLines: number;
  /** @example 71500 */
  @ApiInteger()
  draftedMinor: number;
  /**
   * Lines not held, and their drafted amounts.
   * @example 5
   */
  @ApiInteger()
  payableLines: number;
  /** @example 71500 */
  @ApiInteger()
  payableMinor: number;
  /** @example 1 */
  @ApiInteger()
  heldLines: number;
  /**
   * What the held lines would pay. A line held for a negative balance is among heldLines but
   * not here: it pays nothing (its agent owes).
   * @example 500
   */
  @ApiInteger()
  heldMinor: number;
  /**
   * Lines paid, and what their transfers carried.
   * @example 4
   */
  @ApiInteger()
  paidLines: number;
  /** @example 57200 */
  @ApiInteger()
  paidMinor: number;
  /**
   * Of the paid lines, those whose transfer was reversed since (in part or in full), and what
   * the reversals took back: it went back to the agents' balances, so the agents kept
   * `paidMinor` less this, and the next run pays it again.
   * @example 1
   */
  @ApiInteger()
  reversedLines: number;
  /** @example 1500 */
  @ApiInteger()
  reversedMinor: number;
  /** @example 1 */
  @ApiInteger()
  failedLines: number;
  /**
   * Of the failed lines, those a retry (`POST …/retry-failed`) sends now: not one Stripe's
   * answer (a 5xx, a rate limit) has sent again by itself at its `resendAt`.
   * @example 1
   */
  @ApiInteger()
  retryableLines: number;
  /** @example 0 */
  @ApiInteger()
  abandonedLines: number;
  /**
   * Sent or waiting to be sent, once the run executes (a draft has none in flight).
   * @example 0
   */
  @ApiInteger()
  inFlightLines: number;
  /**
   * Of the lines in flight, those sent over 10 minutes ago and not answered (their job died):
   * a retry (`POST …/retry-failed`) asks Stripe whether each was paid and sends it again if not.
   * @example 0
   */
  @ApiInteger()
  stuckLines: number;
}

export class PayoutRunDto {
  /** @example d4c3b2a1-9f8e-4d7c-b6a5-0e1f2d3c4b5a */
  id: string;
  /** @example EUR */
  currency: string;
  /**
   * Balances as of this instant.
   * @example 2030-05-31T23:59:59.000Z
   */
  cutoff: Date;
  /** @example completed_with_failures */
  @ApiProperty({ enum: RUN_STATUSES })
  status: string;
  /**
   * `fake`: no STRIPE_SECRET_KEY, so an in-process fake Stripe recorded it and no money moved.
   * @example test
   */
  @ApiProperty({ enum: ['live', 'test', 'fake'] })
  stripeMode: string;
  /**
   * The platform's Stripe balance available in the run's currency when it executed (null
   * before); lines beyond it were held as insufficient_platform_balance.
   * @example 1250000
   */
  @ApiInteger()
  platformAvailableMinor: number | null;
  /**
   * The smallest payout of this run (PAYOUT_MINIMUM_MINOR, or the currency's own in
   * PAYOUT_MINIMUM_MINOR_BY_CURRENCY), fixed when it was drafted: lines below it are held
   * (`below_minimum`, or `balance_changed` when sent). Null for runs drafted before runs kept it.
   * @example 1000
   */
  @ApiInteger()
  minimumMinor: number | null;
  /**
   * The finance user who drafted it.
   * @example 9b2e4d6f-8a1c-4e3b-a5d7-f9c1e3b5d7a9
   */
  createdBy: string;
  /**
   * Another finance user: who drafts a run does not approve it.
   * @example 6e8a0c2e-4b6d-4f8a-b0c2-e4f6a8b0c2d4
   */
  approvedBy: string | null;
  /** @example 2030-06-01T08:00:00.000Z */
  createdAt: Date;
  /** @example 2030-06-01T08:20:00.000Z */
  approvedAt: Date | null;
  /** @example 2030-06-01T08:21:00.000Z */
  executedAt: Date | null;
  /** @example 2030-06-01T08:23:30.000Z */
  completedAt: Date | null;
  /** @example 2030-06-01T08:10:00.000Z */
  cancelledAt: Date | null;
  totals: PayoutRunTotalsDto;
}

export class PayoutRunDetailDto extends PayoutRunDto {
  /**
   * The platform's Stripe balance available in the run's currency now, beside the run's total
   * (null once the run executed, or when Stripe cannot be reached).
   * @example 1250000
   */
  @ApiInteger()
  platformBalanceMinor: number | null;
  lines: PayoutLineDto[];
}

export class PayoutRunPageDto {
  items: PayoutRunDto[];
  /**
   * Pass as `cursor` for the next page; null on the last page.
   * @example WyIyMDMwLTA2LTAxVDA4OjAwOjAwLjAwMFoiLCJkNGMzYjJhMS05ZjhlLTRkN2MtYjZhNS0wZTFmMmQzYzRiNWEiXQ
   */
  nextCursor: string | null;
}
