import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module, ValidationPipe, ValidationPipeOptions } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { validationExceptionFactory } from './common/errors/validation-errors';
import { LoggingModule } from './common/logging/logging.module';
import { Env } from './config/env.validation';
import { typeormOptions } from './database/typeorm-options';
import { AgentsModule } from './modules/agents/agents.module';
import { AuthModule } from './modules/auth/auth.module';
import { CompaniesModule } from './modules/companies/companies.module';
import { EventsModule } from './modules/events/events.module';
import { HealthModule } from './modules/health/health.module';
import { IdempotencyModule } from './modules/idempotency/idempotency.module';
import { JobsModule } from './modules/jobs/jobs.module';
import { redisOptionsFromUrl, sideRedisOptions } from './modules/jobs/redis-options';
import { WorkersModule } from './modules/jobs/workers.module';
import { InvoiceCloserModule } from './modules/billing/invoice-closer.module';
import { BillingModule } from './modules/billing/billing.module';
import { QualityGateModule } from './modules/quality/quality-gate.module';
import { ConversationAccessModule } from './modules/tickets/conversation-access.module';
import { WorkFactsModule } from './modules/tickets/work-facts.module';
import { QualityModule } from './modules/quality/quality.module';
import { QualityRefresherModule } from './modules/quality/quality-refresher.module';
import { WebhookLogPrunerModule } from './modules/webhooks/webhook-log-pruner.module';
import { RefreshTokenPrunerModule } from './modules/auth/refresh-token-pruner.module';
import { CreditGateModule } from './modules/billing/credit-gate.module';
import { ApiKeyLivenessModule } from './modules/companies/api-key-liveness.module';
import { LedgerModule } from './modules/ledger/ledger.module';
import { ConsoleModule } from './modules/console/console.module';
import { MetricsModule } from './modules/metrics/metrics.module';
import { OutboxModule } from './modules/outbox/outbox.module';
import { PayoutsModule } from './modules/payouts/payouts.module';
import { QueueDashboardModule } from './modules/queue-dashboard/queue-dashboard.module';
import { StripeModule } from './modules/stripe/stripe.module';
import { ShiftsModule } from './modules/shifts/shifts.module';
import { SkillsModule } from './modules/skills/skills.module';
import { TicketsModule } from './modules/tickets/tickets.module';
import { WebhooksModule } from './modules/webhooks/webhooks.module';
import { UsersModule } from './modules/users/users.module';
import { memoizeValidationMetadata } from './common/validation/validation-metadata-cache';

export interface AppOptions {
  /** Validated configuration with DATABASE_URL and JWT_SECRET resolved. */
  env: Env;
  logger: Logger;
  /** Run the BullMQ workers and the outbox relay in this process. */
  workers: boolean;
  /** Serves HTTP (the API process; the worker has none): then the built console is served too. */
  http?: boolean;
}

/**
 * The rate limits' counters in Redis, with the side clients' timeouts. Its connection errors are
 * not printed by ioredis as unhandled: the guard logs an outage itself, at most every 10 s.
 */
function throttlerStorage(env: Env): ThrottlerStorageRedisService {
  // The URL itself, not options read from it: ioredis takes its query's options too (the
  // client generator's `lazyConnect` keeps it from dialling, and so from ever exiting).
  const { maxRetriesPerRequest, commandTimeout, socketTimeout } = sideRedisOptions(env.REDIS_URL);
  const storage = new ThrottlerStorageRedisService(env.REDIS_URL, {
    keyPrefix: `${env.QUEUE_PREFIX}:throttle:`,
    maxRetriesPerRequest,
    commandTimeout,
    socketTimeout,
  });
  storage.redis.on('error', () => undefined);
  return storage;
}

@Module({})
export class AppModule {
  static register({ env, logger, workers, http = true }: AppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          skipProcessEnv: true,
          load: [() => ({ ...env })],
        }),
        LoggingModule.forRoot(logger),
        TypeOrmModule.forRoot({
          ...typeormOptions(env.DATABASE_URL!, env.DB_POOL_SIZE),
          autoLoadEntities: true,
          // Fail at once instead of retrying for half a minute; start-up already checked it.
          retryAttempts: 0,
        }),
        BullModule.forRoot({
          connection: redisOptionsFromUrl(env.REDIS_URL),
          prefix: env.QUEUE_PREFIX,
        }),
        ThrottlerModule.forRoot({
          // Which routes each one counts, and per whom: RateLimitGuard.
          throttlers: [
            {
              name: 'auth',
              ttl: env.AUTH_THROTTLE_TTL_SECONDS * 1000,
              limit: env.AUTH_THROTTLE_LIMIT,
            },
            {
              name: 'intake',
              ttl: env.INTAKE_THROTTLE_TTL_SECONDS * 1000,
              limit: env.INTAKE_THROTTLE_LIMIT,
            },
            {
              name: 'writes',
              ttl: env.WRITE_THROTTLE_TTL_SECONDS * 1000,
              limit: env.WRITE_THROTTLE_LIMIT,
            },
            {
              name: 'reads',
              ttl: env.READ_THROTTLE_TTL_SECONDS * 1000,
              limit: env.READ_THROTTLE_LIMIT,
            },
            {
              name: 'companyKeys',
              ttl: env.COMPANY_KEYS_THROTTLE_TTL_SECONDS * 1000,
              limit: env.COMPANY_KEYS_THROTTLE_LIMIT,
            },
            {
              name: 'redeliver',
              ttl: env.REDELIVER_THROTTLE_TTL_SECONDS * 1000,
              limit: env.REDELIVER_THROTTLE_LIMIT,
            },
          ],
          // Counters in Redis so the limit holds across every API process.
          storage: throttlerStorage(env),
        }),
        JobsModule,
        OutboxModule,
        UsersModule,
        CompaniesModule,
        AuthModule,
        SkillsModule,
        AgentsModule,
        ShiftsModule,
        TicketsModule,
        WebhooksModule,
        LedgerModule,
        BillingModule,
        QualityModule,
        QualityGateModule,
        WorkFactsModule,
        ConversationAccessModule,
        CreditGateModule,
        ApiKeyLivenessModule,
        StripeModule,
        PayoutsModule,
        HealthModule,
        QueueDashboardModule,
        IdempotencyModule,
        MetricsModule,
        EventsModule,
        ...(workers
          ? [
              WorkersModule.register(env),
              InvoiceCloserModule,
              QualityRefresherModule,
              WebhookLogPrunerModule,
              RefreshTokenPrunerModule,
            ]
          : []),
        // Last: its catch-all GET must not shadow anything registered before it.
        ...(http ? ConsoleModule.register() : []),
      ],
      providers: [
        {
          provide: APP_PIPE,
          useValue: validationPipe({
            whitelist: true,
            forbidNonWhitelisted: true,
            transform: true,
            exceptionFactory: validationExceptionFactory,
          }),
        },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    };
  }
}

/** The one ValidationPipe, with class-validator's per-class rule lookup memoized first. */
function validationPipe(options: ValidationPipeOptions): ValidationPipe {
  memoizeValidationMetadata();
  return new ValidationPipe(options);
}
