import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import { LOG_FORMATS, type RequestedLogFormat } from '../../common/logging/log-format';
import { RateLimitsEnv } from './rate-limits.env';
import { toInt } from './transforms';

/** What operators see and handle: logs, metrics, the queue dashboard and shutting down. */
export class OperationsEnv extends RateLimitsEnv {
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /**
   * auto: readable lines in a terminal, JSON lines when stdout is not a terminal or in
   * production; json or pretty force one (see chooseLogFormat).
   */
  @IsIn(LOG_FORMATS)
  LOG_FORMAT: RequestedLogFormat = 'auto';

  /**
   * Bearer token that /metrics requires (Prometheus format). Unset: /metrics answers 404.
   * At least 16 characters.
   */
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters' })
  METRICS_TOKEN?: string;

  /**
   * A worker process (npm run start:worker) serves /metrics on this port when set, with the
   * same token; the API process serves it on PORT.
   */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  WORKER_METRICS_PORT?: number;

  /** Lifetime of the queue dashboard's browser session cookie. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(720)
  QUEUE_DASHBOARD_SESSION_MINUTES = 30;

  /** Readiness fails this long before the server stops accepting (behind a balancer: 5000+). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  SHUTDOWN_DRAIN_DELAY_MS = 0;

  /** After the drain delay, in-flight work has this long before the process exits 1. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  SHUTDOWN_TIMEOUT_MS = 25000;
}
