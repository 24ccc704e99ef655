import {
  IsInt,
  Max,
  Min,
  Validate,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import type { ValueTransformer } from 'typeorm';
import { ApiInteger } from '../http/openapi-property';
import { CURRENCIES } from './currencies';

const ISO_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

/**
 * Any ISO 4217 code: where a currency names money already booked (a payout run, an adjustment, a
 * credit limit), which may be in one Handoff no longer takes for new rates.
 */
@ValidatorConstraint({ name: 'isCurrency' })
export class IsCurrencyCode implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && /^[A-Z]{3}$/.test(value) && ISO_CURRENCIES.has(value);
  }

  defaultMessage(): string {
    return '$property must be an ISO 4217 currency code in upper case, e.g. EUR';
  }
}

/** A currency Handoff bills in (src/common/money/currencies.ts): a shift's rate. */
@ValidatorConstraint({ name: 'isChargeableCurrency' })
export class IsChargeableCurrency implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && CURRENCIES.has(value);
  }

  defaultMessage(): string {
    return "$property must be the ISO 4217 code, in upper case, of a currency Handoff bills in, e.g. EUR (docs/api.md: Stripe's currencies less ISK and the three-decimal ones)";
  }
}

/** An amount in integer minor units (cents) with its currency. Never a float. */
export class MoneyDto {
  /**
   * Minor units as Stripe counts them: 250 is 2.50 EUR (and 2.50 COP); JPY and the other
   * zero-decimal currencies have none.
   * @example 250
   */
  @ApiInteger()
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  amountMinor: number;

  /**
   * ISO 4217, e.g. EUR, USD.
   * @example EUR
   */
  @Validate(IsChargeableCurrency)
  currency: string;
}

/** An amount in an answer, which may be zero (what was earned, an estimate). */
export class AmountDto {
  /**
   * Minor units: 250 is 2.50 EUR.
   * @example 250
   */
  @ApiInteger()
  amountMinor: number;
  /** @example EUR */
  currency: string;
}

/**
 * bigint columns come back from pg as strings; minor units stay far below 2^53, so they are
 * safe as JS numbers. Refuses to read anything that would lose precision.
 */
export const bigintMoney: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => {
    if (value === null) return null;
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new Error(`amount ${value} exceeds safe integer range`);
    return n;
  },
};
