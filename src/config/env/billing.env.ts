import { Transform } from 'class-transformer';
import { IsInt, IsNumber, Max, Min, Validate } from 'class-validator';
import { MinorByCurrency, withoutSpaces } from '../per-currency';
import { MarketplaceEnv } from './marketplace.env';
import { toDecimal, toInt } from './transforms';

/** Invoicing companies: the billing sweep, credit control and the platform's fee. */
export class BillingEnv extends MarketplaceEnv {
  /**
   * How often each worker process looks for billing periods to close (invoices). Closing is
   * safe to run anywhere at once: one company's invoicing is serialised in PostgreSQL.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  BILLING_SWEEP_MS = 60000;

  /**
   * Credit control: a company whose receivable in a currency passes this (minor units), unless
   * finance set its own limit, is held: it cannot post or enlarge shifts until it pays.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  CREDIT_LIMIT_MINOR = 500000;

  /**
   * CREDIT_LIMIT_MINOR for a currency whose minor unit is worth another amount, as `CUR=minor`
   * pairs (e.g. `JPY=750000,IDR=8000000000`); a company's own limit, set by finance, still
   * applies to every currency.
   */
  @Transform(withoutSpaces)
  @Validate(MinorByCurrency, [0])
  CREDIT_LIMIT_MINOR_BY_CURRENCY = '';

  /** Days an invoice may stay past due (its charge failed) before the company is held. */
  @Transform(toDecimal)
  @IsNumber()
  @Min(0)
  PAST_DUE_GRACE_DAYS = 7;

  /** The platform's fee on each resolved ticket, in basis points of the rate (1500 = 15%). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10000)
  PLATFORM_FEE_BPS = 1500;
}
