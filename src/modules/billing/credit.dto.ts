import { ApiProperty } from '@nestjs/swagger';
import {
  IsInt,
  IsString,
  Max,
  Min,
  MinLength,
  Validate,
  ValidateIf,
  Matches,
} from 'class-validator';
import { MaxLength } from '../../common/validation/text-and-numbers';
import { IsCurrencyCode } from '../../common/money/money.dto';
import { IsOmittable } from '../../common/validation/omittable';
import { ApiInteger } from '../../common/http/openapi-property';

/** What the company owes in one currency and has not paid yet. */
export class OutstandingDto {
  /** @example EUR */
  currency: string;
  /**
   * What it owes and has not paid: its resolved tickets (invoiced or still to be) and what a
   * lost dispute took back, less payments and credits. Invoices written off are not in it (the
   * books moved them to bad debt): see `writtenOff`.
   * @example 28750
   */
  @ApiInteger()
  amountMinor: number;
}

export const HOLD_REASONS = ['credit_limit', 'past_due', 'written_off'] as const;

export class CreditHoldDto {
  /**
   * `credit_limit`: what the company owes passed its limit; `past_due`: an invoice stayed past
   * due longer than the grace period; `written_off`: an invoice was written off unpaid (until it
   * is paid, or finance lifts the hold).
   * @example credit_limit
   */
  @ApiProperty({ enum: HOLD_REASONS })
  reason: string;
  /** @example "Your company owes €5,012.00, above its credit limit of €5,000.00: pay the open invoices or ask finance to lift the hold" */
  message: string;
  /**
   * What is owed (credit_limit), the invoice's total (past_due) or what it still owes after
   * credit notes (written_off), in minor units.
   * @example 501200
   */
  @ApiInteger()
  amountMinor: number;
  /** @example EUR */
  currency: string;
  /**
   * When the hold began.
   * @example 2026-12-07T09:00:00.000Z
   */
  startedAt: Date;
  /** @example ["0b8c8a9e-3f51-4f5e-9a39-3d4f0f8f2a10"] */
  pastDueInvoiceIds: string[];
  /**
   * The invoices the hold is about: past due, or written off unpaid.
   * @example ["0b8c8a9e-3f51-4f5e-9a39-3d4f0f8f2a10"]
   */
  invoiceIds: string[];
}

export class CreditLimitDto {
  /** @example JPY */
  currency: string;
  /** @example 750000 */
  @ApiInteger()
  limitMinor: number;
}

/** Where a company stands with credit control. */
export class CreditStandingDto {
  /**
   * Its own limit (set by finance, in every currency), else CREDIT_LIMIT_MINOR: what it may owe
   * before it is held, in minor units. A currency in CREDIT_LIMIT_MINOR_BY_CURRENCY has its
   * own when the company has none: see `creditLimits`.
   * @example 500000
   */
  @ApiInteger()
  creditLimitMinor: number;
  /** Finance's own limits of single currencies (each before `creditLimitMinor`). */
  ownCreditLimits: CreditLimitDto[];
  /** The limit of each currency it owes in (and of its hold's), as applied. */
  creditLimits: CreditLimitDto[];
  /** What it owes per currency (booked, not yet paid; invoiced or not). */
  owed: OutstandingDto[];
  /** Why billing holds the company, or null. */
  hold: CreditHoldDto | null;
  /**
   * Finance lifted the hold until then (null: not lifted).
   * @example 2026-12-08T09:00:00.000Z
   */
  liftEndsAt: Date | null;
  /** @example "Paid by bank transfer; clearing" */
  liftReason: string | null;
  /**
   * Posting or enlarging shifts is refused (402 PAYMENT_REQUIRED): held and not lifted.
   * @example false
   */
  blocked: boolean;
}

export class SetCreditLimitDto {
  /**
   * The company's own limit, in minor units: of `currency` when given, else of every currency
   * that has none of its own. Null removes it (back to the company's limit for every currency,
   * or to the configured one).
   */
  // Required; null is a value (the default), anything else must be a whole amount.
  @ValidateIf((_object, value) => value !== null)
  @ApiProperty({ type: 'integer', nullable: true, example: 1000000 })
  @IsInt()
  @Min(0)
  @Max(1_000_000_000_000)
  creditLimitMinor: number | null;
  /**
   * The currency the limit is for (ISO 4217); omitted: every currency without its own.
   * @example JPY
   */
  @IsOmittable()
  @Validate(IsCurrencyCode)
  currency?: string;
}

export class LiftHoldDto {
  /** @example "Paid by bank transfer; clearing" */
  @IsString()
  @MinLength(3)
  @MaxLength(500)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason: string;
  /**
   * For how long, 1 to 720 hours.
   * @example 48
   */
  @ApiInteger()
  @IsInt()
  @Min(1)
  @Max(720)
  hours: number;
}
