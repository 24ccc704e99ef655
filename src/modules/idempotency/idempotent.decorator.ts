import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { IDEMPOTENT_KEY } from '../../common/http/idempotent';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/**
 * Marks a POST that creates something: it accepts an Idempotency-Key header with Stripe's
 * semantics (see the idempotency module). The OpenAPI document reads the same metadata to
 * declare the header and its 409 codes.
 *
 * The interceptor is attached here, to the marked routes only, rather than globally: Nest runs
 * its interceptor pipeline (rxjs, two async-resource bindings, an execution context) on every
 * request of a route that has any interceptor, 0.15–0.2 ms of CPU per request on the benchmark
 * machine even when the interceptor only passes the call on (docs/performance.md, "Levers").
 */
export const Idempotent = () =>
  applyDecorators(SetMetadata(IDEMPOTENT_KEY, true), UseInterceptors(IdempotencyInterceptor));
