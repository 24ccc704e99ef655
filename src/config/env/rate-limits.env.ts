import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, Min } from 'class-validator';
import { AuthEnv } from './auth.env';
import { toBool, toInt } from './transforms';

/** Request rate limits: each _LIMIT in a window of its _TTL_SECONDS; RATE_LIMITS switches all. */
export class RateLimitsEnv extends AuthEnv {
  @Transform(toInt)
  @IsInt()
  @Min(1)
  AUTH_THROTTLE_LIMIT = 10;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  AUTH_THROTTLE_TTL_SECONDS = 60;

  /** Master switch of every request rate limit (benchmarks turn it off; the login slowdown stays). */
  @Transform(toBool)
  @IsBoolean()
  RATE_LIMITS = true;

  /** Escalations (POST /v1/escalations) per API key per window. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  INTAKE_THROTTLE_LIMIT = 600;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  INTAKE_THROTTLE_TTL_SECONDS = 60;

  /** Every other POST, PUT, PATCH and DELETE per signed-in user (or API key) per window. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  WRITE_THROTTLE_LIMIT = 120;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  WRITE_THROTTLE_TTL_SECONDS = 60;

  /**
   * Every GET per signed-in user (or API key) per window, over all routes together: a leaked
   * key or a runaway poller cannot spend the database on list and report reads without bound.
   * The console at its busiest (a paying run's page re-read every 1.5 s) uses a few dozen a
   * minute.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  READ_THROTTLE_LIMIT = 1200;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  READ_THROTTLE_TTL_SECONDS = 60;

  /**
   * Every call made with any of a company's API keys (escalations, writes and reads together)
   * per window: each key has its own limits above, and a company holds up to 20 keys, so
   * without this one company could multiply its share of the platform by making more keys.
   * Above what one key can use at its limits (600 + 120 + 1,200), so a company with one key
   * never meets it.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  COMPANY_KEYS_THROTTLE_LIMIT = 3000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  COMPANY_KEYS_THROTTLE_TTL_SECONDS = 60;

  /**
   * Webhook redeliveries and test pings, together, per company per window (each one makes us
   * call its endpoint).
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  REDELIVER_THROTTLE_LIMIT = 30;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  REDELIVER_THROTTLE_TTL_SECONDS = 600;
}
