import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IdempotencyKeysRepository } from './idempotency-keys.repository';
import {
  DEFAULT_IDEMPOTENCY_TIMINGS,
  IDEMPOTENCY_TIMINGS,
  IdempotencyKeysService,
} from './idempotency-keys.service';

/**
 * Idempotency-Key on the routes marked @Idempotent() (src/common/http/idempotent.ts): a global
 * interceptor that does nothing elsewhere. Owns the idempotency_keys table.
 */
@Module({
  providers: [
    IdempotencyKeysRepository,
    IdempotencyKeysService,
    { provide: IDEMPOTENCY_TIMINGS, useValue: { ...DEFAULT_IDEMPOTENCY_TIMINGS } },
    { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
  ],
})
export class IdempotencyModule {}
