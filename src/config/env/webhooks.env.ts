import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, Max, Min } from 'class-validator';
import { StripeEnv } from './stripe.env';
import { toBool, toInt } from './transforms';

/** Delivering webhooks to companies: retries, timeouts, concurrency and allowed addresses. */
export class WebhooksEnv extends StripeEnv {
  /** Webhook retries: first delay (doubling each time) and attempts (14 × from 10 s ≈ 24 h). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  WEBHOOK_BACKOFF_MS = 10000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(50)
  WEBHOOK_ATTEMPTS = 14;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  WEBHOOK_TIMEOUT_MS = 10000;

  /**
   * Deliveries in flight per worker process, and how many of them may go to one company. A
   * company's receiver that hangs (each attempt waits WEBHOOK_TIMEOUT_MS) holds its share, not
   * every slot: the others' deliveries go on. A job over the share waits a moment and is tried
   * again, without spending an attempt.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  WEBHOOK_CONCURRENCY = 32;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  WEBHOOK_CONCURRENCY_PER_COMPANY = 8;

  /**
   * Days a settled delivery (delivered or failed) stays in the company's delivery log, its
   * payload (conversation text included) with it; pruned hourly by a worker process.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  WEBHOOK_LOG_RETENTION_DAYS = 30;

  /**
   * Lets webhooks reach loopback, private and link-local addresses (development and tests with
   * local receivers). Never in production: it reopens the SSRF hole. Credentials stay refused.
   */
  @Transform(toBool)
  @IsBoolean()
  WEBHOOK_ALLOW_PRIVATE_URLS = false;
}
