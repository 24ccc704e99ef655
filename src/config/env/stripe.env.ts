import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsInt,
  IsOptional,
  Matches,
  Max,
  Min,
  Validate,
  ValidateIf,
} from 'class-validator';
import type { Env } from '../env.validation';
import { MinorByCurrency, withoutSpaces } from '../per-currency';
import { BillingEnv } from './billing.env';
import { toBool, toInt } from './transforms';

/**
 * Stripe (keys, webhook secrets, the fake, pacing, where onboarding returns to) and paying
 * agents through it: payout minimums and when a finance adjustment needs a second approver.
 */
export class StripeEnv extends BillingEnv {
  /** Stripe: required in production; without it elsewhere an in-process fake Stripe is used. */
  @ValidateIf((env: Env) => env.NODE_ENV === 'production' || env.STRIPE_SECRET_KEY !== undefined)
  @Matches(/^(sk|rk)_(live|test)_\w+$/, {
    message:
      'STRIPE_SECRET_KEY must be a Stripe secret key (sk_live_… or sk_test_…); required in production',
  })
  STRIPE_SECRET_KEY?: string;

  /**
   * A test-mode key (sk_test_…, rk_test_…) is refused with NODE_ENV=production unless this says
   * the deployment is a staging one on purpose: by mistake, it would take companies' cards and
   * pay agents' runs with no money moving, each run marked `test`, which nobody reads.
   */
  @Transform(toBool)
  @IsBoolean()
  STRIPE_TEST_MODE_IN_PRODUCTION = false;

  /** Signing secrets of the platform and Connect webhook endpoints (whsec_…). */
  @ValidateIf((env: Env) => env.STRIPE_SECRET_KEY !== undefined)
  @Matches(/^whsec_\w+$/, {
    message: 'STRIPE_WEBHOOK_SECRET must be a whsec_… secret when STRIPE_SECRET_KEY is set',
  })
  STRIPE_WEBHOOK_SECRET?: string;

  @ValidateIf((env: Env) => env.STRIPE_SECRET_KEY !== undefined)
  @Matches(/^whsec_\w+$/, {
    message: 'STRIPE_CONNECT_WEBHOOK_SECRET must be a whsec_… secret when STRIPE_SECRET_KEY is set',
  })
  STRIPE_CONNECT_WEBHOOK_SECRET?: string;

  /** Another Stripe API base URL (tests point it at their fake). */
  @IsOptional()
  @Matches(/^https?:\/\/[^/]+$/, { message: 'STRIPE_API_BASE must look like http://host:port' })
  STRIPE_API_BASE?: string;

  /**
   * How long one Stripe API call may take before we give up on it (and retry with the same
   * idempotency key, or find what the call did).
   */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(80000)
  STRIPE_TIMEOUT_MS = 20000;

  /**
   * The in-process fake Stripe (no STRIPE_SECRET_KEY) starts its platform balance at this, in
   * every currency (minor units): large, so payouts pay as if funded; set it low to see a
   * payout run hold what the balance cannot cover.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  FAKE_STRIPE_BALANCE_MINOR = 1_000_000_000_000;

  /**
   * Stripe calls per second, of every process together (a payout run's transfers, billing,
   * onboarding, reads). Stripe's global limit is 100 requests/s live (25 in a sandbox), but
   * each endpoint has 25/s of its own unless Stripe raised it for the account, and a run is
   * nearly all POST /v1/transfers: above 25 only with such a raise.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  STRIPE_RATE_PER_SECOND = 25;

  /** Agents with less available than this (minor units) are held in a payout run. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  PAYOUT_MINIMUM_MINOR = 1000;

  /**
   * The payout minimum of a currency, where PAYOUT_MINIMUM_MINOR would not fit its money:
   * `SEK=10000,JPY=1500` (100 kr, ¥1,500). Each run keeps the minimum it was drafted with.
   */
  @Transform(withoutSpaces)
  @Validate(MinorByCurrency, [1])
  PAYOUT_MINIMUM_MINOR_BY_CURRENCY = '';

  /**
   * A finance adjustment larger than this (absolute, minor units of its currency) waits as
   * `pending` until a second finance user approves it; smaller ones post at once, as long as
   * what their maker moved for the same agent without approval in the last 24 hours stays
   * within it too.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  ADJUSTMENT_APPROVAL_MINOR = 10000;

  /** ADJUSTMENT_APPROVAL_MINOR for a currency, as `CUR=minor` pairs (e.g. `SEK=100000,JPY=15000`). */
  @Transform(withoutSpaces)
  @Validate(MinorByCurrency, [0])
  ADJUSTMENT_APPROVAL_MINOR_BY_CURRENCY = '';

  /** Where agents come back to after Stripe onboarding. */
  @Matches(/^https?:\/\/.+/, { message: 'PUBLIC_URL must be an http(s) URL' })
  PUBLIC_URL = 'http://localhost:3000';
}
