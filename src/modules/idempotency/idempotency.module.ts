import { Global, Module } from '@nestjs/common';
import { IdempotencyKeysRepository } from './idempotency-keys.repository';
import { IdempotencyOutcomes } from './idempotency-outcomes';
import { KeyedCommits } from './keyed-commits';
import {
  DEFAULT_IDEMPOTENCY_TIMINGS,
  IDEMPOTENCY_TIMINGS,
  IdempotencyKeysService,
} from './idempotency-keys.service';

/**
 * Idempotency-Key on the routes marked @Idempotent() (idempotent.decorator.ts), which attaches
 * the guard to them; IdempotencyOutcomes stores their answers. Global: the guard is built in
 * each controller's module and needs the keys service there. Owns the idempotency_keys table.
 */
@Global()
@Module({
  providers: [
    IdempotencyKeysRepository,
    IdempotencyKeysService,
    IdempotencyOutcomes,
    KeyedCommits,
    { provide: IDEMPOTENCY_TIMINGS, useValue: { ...DEFAULT_IDEMPOTENCY_TIMINGS } },
  ],
  exports: [IdempotencyKeysService],
})
export class IdempotencyModule {}
