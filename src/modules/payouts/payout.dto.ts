import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches, Validate } from 'class-validator';
import { MaxLength } from '../../common/validation/text-and-numbers';
import { ApiInstant, ApiInteger } from '../../common/http/openapi-property';
import { IsCurrencyCode } from '../../common/money/money.dto';
import { PageQueryDto } from '../../common/pagination/page.dto';
import { IsInstant } from '../../common/validation/is-instant';
import { IsOmittable } from '../../common/validation/omittable';
import { RECONCILIATION_CATEGORIES } from './payout-reconciliation';

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
  /** @example 1 */
  @ApiInteger()
  failedLines: number;
  /** @example 0 */
  @ApiInteger()
  abandonedLines: number;
  /**
   * Sent or waiting to be sent, once the run executes (a draft has none in flight).
   * @example 0
   */
  @ApiInteger()
  inFlightLines: number;
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

export class AgentPayoutDto {
  /**
   * The payout line (one per run you were paid in).
   * @example f0e1d2c3-b4a5-4968-8776-a5b4c3d2e1f0
   */
  lineId: string;
  /** @example d4c3b2a1-9f8e-4d7c-b6a5-0e1f2d3c4b5a */
  runId: string;
  /**
   * What the transfer carried.
   * @example 14300
   */
  @ApiInteger()
  amountMinor: number;
  /** @example EUR */
  currency: string;
  /** @example 2030-06-01T08:22:10.000Z */
  paidAt: Date;
  /** @example tr_1PqS8dT3uV4wX5yZa1b2c3d4 */
  stripeTransferId: string;
  /**
   * What Stripe took back from this transfer since (0 for most).
   * @example 0
   */
  @ApiInteger()
  reversedMinor: number;
}

export class AgentPayoutPageDto {
  items: AgentPayoutDto[];
  /**
   * Pass as `cursor` for the next page; null on the last page.
   * @example WyIyMDMwLTA2LTAxVDA4OjIyOjEwLjAwMFoiLCJmMGUxZDJjMy1iNGE1LTQ5NjgtODc3Ni1hNWI0YzNkMmUxZjAiXQ
   */
  nextCursor: string | null;
}

export class PayoutAccountView {
  /** @example acct_1PqR2sT3uV4wX5yZ */
  stripeAccountId: string;
  /**
   * Handoff can pay this account: Stripe lets it receive transfers (its `transfers` capability
   * is active) and pay them out to the bank (`payouts_enabled`).
   * @example false
   */
  payoutsEnabled: boolean;
  /** @example false */
  detailsSubmitted: boolean;
  /**
   * What Stripe still needs from the agent before it pays out.
   * @example ["external_account", "individual.verification.document"]
   */
  requirements: string[];
  /**
   * Set when this account can never be paid again: `deauthorized` (it left our platform),
   * `rejected_by_stripe` or `rejected_by_handoff`; null while it is open. See `canLinkNew`.
   * @example deauthorized
   */
  @ApiProperty({
    enum: ['deauthorized', 'rejected_by_stripe', 'rejected_by_handoff'],
    nullable: true,
  })
  closedReason: 'deauthorized' | 'rejected_by_stripe' | 'rejected_by_handoff' | null;
  /**
   * When we learnt the account was closed (null while open).
   * @example 2030-04-29T11:05:00.000Z
   */
  closedAt: Date | null;
  /**
   * The account is closed and onboarding again links a new one in its place: it left our
   * platform, or Stripe could not verify the agent in time (at most 3 accounts in all), or an
   * admin allowed a new one after this closing. False for an open account, and for any other
   * closing: onboarding then answers 409 PAYOUT_ACCOUNT_REJECTED, and our support team decides.
   * @example true
   */
  canLinkNew: boolean;
}

/** An admin's allowance of a new account after a closing. */
export class NewAccountAllowanceDto {
  /**
   * The account it was given for, and the closing's reason then.
   * @example acct_1Oa2bC3dE4fG5hI6
   */
  stripeAccountId: string;
  /** @example rejected.platform_fraud */
  closedReason: string;
  /** @example 6e8a0c2e-4b6d-4f8a-b0c2-e4f6a8b0c2d4 */
  by: string;
  /** @example 2030-04-29T11:05:00.000Z */
  at: Date;
  /** @example "Identity checked by phone; the fraud flag was a shared card" */
  reason: string;
}

/** An agent's payout account as staff see it: Stripe's own reason and the account history. */
export class StaffPayoutAccountView extends PayoutAccountView {
  /**
   * Stripe's reason for the closing as it sent it (`rejected.fraud`, `rejected.listed`,
   * `rejected.platform_other`, …) or `deauthorized`; null while open.
   * @example rejected.platform_fraud
   */
  stripeClosedReason: string | null;
  /**
   * The agent's earlier accounts, closed, oldest first.
   * @example ["acct_1Oa2bC3dE4fG5hI6"]
   */
  replacedAccountIds: string[];
  /** The allowance that answers this closing, if an admin gave one (the agent may link anew). */
  newAccountAllowed: NewAccountAllowanceDto | null;
  /** Every allowance given for the agent's accounts, newest first: the record. */
  allowances: NewAccountAllowanceDto[];
}

/**
 * Allows a new account after the closing the admin looked at: the account and the reason it
 * read must still be the agent's (409 PAYOUT_ACCOUNT_STATE when the closing changed since).
 */
export class AllowNewPayoutAccountDto {
  /**
   * Why, for the record.
   * @example "Identity checked by phone; the fraud flag was a shared card"
   */
  @IsString()
  @MaxLength(500)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason: string;
  /**
   * The account as read (`stripeAccountId` of the staff view).
   * @example acct_1Oa2bC3dE4fG5hI6
   */
  @IsString()
  @Length(1, 255)
  stripeAccountId: string;
  /**
   * The closing's reason as read (`stripeClosedReason` of the staff view).
   * @example rejected.platform_fraud
   */
  @IsString()
  @Length(1, 255)
  stripeClosedReason: string;
}

export class OnboardingView extends PayoutAccountView {
  /**
   * A fresh Stripe-hosted onboarding link; it expires within minutes.
   * @example https://connect.stripe.com/setup/e/acct_1PqR2sT3uV4wX5yZ/Xk3Lp9Qw2ErT
   */
  onboardingUrl: string;
  /** @example 2030-04-29T11:05:00.000Z */
  expiresAt: Date;
}

/** Stripe's answer: the event is stored and will be applied by a job (or was, before). */
export class StripeEventReceivedDto {
  /**
   * Always true once the signature and shape are accepted.
   * @example true
   */
  received: boolean;
  /**
   * True when this event id arrived before: nothing more is done.
   * @example false
   */
  duplicate: boolean;
}
