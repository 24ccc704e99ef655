import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches, Validate } from 'class-validator';
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
] as const;

export class CreatePayoutRunDto {
  /** @example EUR */
  @Validate(IsCurrencyCode)
  currency: string;

  /**
   * Balances as of this instant (default now; not in the future).
   * @example 2030-05-31T23:59:59Z
   */
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
  id: string;
  agentId: string;
  /** The agent's display name and email now (null if the agent no longer exists). */
  agentDisplayName: string | null;
  agentEmail: string | null;
  stripeAccountId: string | null;
  /** What was drafted (and approved). */
  amountMinor: number;
  /**
   * What the transfer carries, fixed when the line is sent: the drafted amount, or less if the
   * agent's available balance fell since the draft. Null until sent.
   */
  transferMinor: number | null;
  currency: string;
  @ApiProperty({ enum: LINE_STATUSES })
  status: string;
  @ApiProperty({ enum: HELD_REASONS, nullable: true })
  heldReason: string | null;
  stripeTransferId: string | null;
  attempts: number;
  failureCode: string | null;
  failureMessage: string | null;
  reversedMinor: number;
  paidAt: Date | null;
  /** Set when finance gave up on a line Stripe refused; its money stays available. */
  abandonedReason: string | null;
  abandonedBy: string | null;
  abandonedAt: Date | null;
}

export class PayoutRunTotalsDto {
  /** Lines drafted payable, and their drafted amounts (including those held at execution). */
  draftedLines: number;
  draftedMinor: number;
  /** Lines not held, and their drafted amounts. */
  payableLines: number;
  payableMinor: number;
  heldLines: number;
  heldMinor: number;
  /** Lines paid, and what their transfers carried. */
  paidLines: number;
  paidMinor: number;
  failedLines: number;
  abandonedLines: number;
  /** Sent or waiting to be sent, once the run executes (a draft has none in flight). */
  inFlightLines: number;
}

export class PayoutRunDto {
  id: string;
  currency: string;
  cutoff: Date;
  @ApiProperty({ enum: RUN_STATUSES })
  status: string;
  /** `fake`: no STRIPE_SECRET_KEY, so an in-process fake Stripe recorded it and no money moved. */
  @ApiProperty({ enum: ['live', 'test', 'fake'] })
  stripeMode: string;
  createdBy: string;
  approvedBy: string | null;
  createdAt: Date;
  approvedAt: Date | null;
  executedAt: Date | null;
  completedAt: Date | null;
  cancelledAt: Date | null;
  totals: PayoutRunTotalsDto;
}

export class PayoutRunDetailDto extends PayoutRunDto {
  lines: PayoutLineDto[];
}

export class PayoutRunPageDto {
  items: PayoutRunDto[];
  nextCursor: string | null;
}

export class ReconciliationLineDto {
  /** Null for a transfer at Stripe whose metadata names no line. */
  lineId: string | null;
  agentId: string | null;
  agentDisplayName: string | null;
  agentEmail: string | null;
  /** What the line sent (transferMinor), else what it was drafted for; null without a line. */
  amountMinor: number | null;
  @ApiProperty({ enum: RECONCILIATION_CATEGORIES })
  category: string;
  /** The line's state (null without a line); `heldReason` and `failureCode` say more. */
  @ApiProperty({ enum: LINE_STATUSES, nullable: true })
  lineStatus: string | null;
  @ApiProperty({ enum: HELD_REASONS, nullable: true })
  heldReason: string | null;
  failureCode: string | null;
  stripeTransferId: string | null;
  stripeAmountMinor: number | null;
  /**
   * Deprecated (removed in the next release): `category` in the old words (`missing` for
   * missing_at_stripe, `unexpected` for unexpected_at_stripe).
   */
  @ApiProperty({
    enum: ['matched', 'amount_mismatch', 'missing', 'unexpected', 'not_sent'],
    deprecated: true,
  })
  result: string;
}

export class ReconciliationCountsDto {
  matched: number;
  amount_mismatch: number;
  missing_at_stripe: number;
  unexpected_at_stripe: number;
  not_sent: number;
}

export class ReconciliationDto {
  runId: string;
  /** Lines per category; they add up to `lines.length`. */
  counts: ReconciliationCountsDto;
  /** Deprecated (removed in the next release): counts.matched. */
  @ApiProperty({ deprecated: true })
  matched: number;
  /** Deprecated (removed in the next release): counts.amount_mismatch. */
  @ApiProperty({ deprecated: true })
  mismatched: number;
  /** Deprecated (removed in the next release): counts.missing_at_stripe. */
  @ApiProperty({ deprecated: true })
  missing: number;
  /** Deprecated (removed in the next release): counts.unexpected_at_stripe. */
  @ApiProperty({ deprecated: true })
  unexpected: number;
  /** Every line of the run (held ones included), then the transfers no line accounts for. */
  lines: ReconciliationLineDto[];
}

export class AgentPayoutDto {
  /** The payout line (one per run you were paid in). */
  lineId: string;
  runId: string;
  /** What the transfer carried. */
  amountMinor: number;
  currency: string;
  paidAt: Date;
  stripeTransferId: string;
  /** What Stripe took back from this transfer since (0 for most). */
  reversedMinor: number;
}

export class AgentPayoutPageDto {
  items: AgentPayoutDto[];
  nextCursor: string | null;
}

export class OnboardingReturnQueryDto {
  /** Where Stripe sends the agent back from: `return` (done or left), `refresh` (link expired). */
  @IsOptional()
  @IsIn(['return', 'refresh'])
  onboarding?: 'return' | 'refresh';
}

export class PayoutAccountView {
  stripeAccountId: string;
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
  /** What Stripe still needs from the agent before it pays out. */
  requirements: string[];
}

export class OnboardingView extends PayoutAccountView {
  /** A fresh Stripe-hosted onboarding link; it expires within minutes. */
  onboardingUrl: string;
  expiresAt: Date;
}

/** Stripe's answer: the event is stored and will be applied by a job (or was, before). */
export class StripeEventReceivedDto {
  /** Always true once the signature and shape are accepted. */
  received: boolean;
  /** True when this event id arrived before: nothing more is done. */
  duplicate: boolean;
}
