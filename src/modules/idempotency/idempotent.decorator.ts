import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  SetMetadata,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { IDEMPOTENT_KEY, type IdempotentMode } from '../../common/http/idempotent';
import { IdempotencyGuard } from './idempotency.guard';
import { ReplayedAnswerFilter } from './idempotency-outcomes';
import { readIdempotencyKey } from './idempotency-request';

/**
 * Marks a route that creates something, whose repeat would do something else (a seat's cancel,
 * a resolve after a reopen), or whose repeat is refused (a waitlist's leave: 404; a write-off
 * asked in other words: 409 for its own change): it accepts an Idempotency-Key header with
 * Stripe's semantics (see the idempotency module), and a retry after a lost answer gets the
 * first answer. The writes left without it, each with why, are listed in
 * test/openapi.e2e-spec.ts (REPEATS_ALIKE). The OpenAPI document reads the same metadata to
 * declare the header and its 409 codes.
 *
 * `required`: for a route where nothing in the body tells a retry from a second request (a
 * credit note), a request without the key is refused (400 naming the header).
 *
 * A guard takes the key and a route filter sends a replayed answer; the onSend hook of
 * IdempotencyOutcomes stores the outcome. No interceptor: Nest runs its interceptor pipeline
 * (rxjs, two async-resource bindings, an execution context) on every request of a route that
 * has one, 0.15–0.2 ms of CPU per request on the benchmark machine even when the request
 * carries no key (docs/performance.md, "Levers").
 */
export const Idempotent = (options: { required?: boolean } = {}) =>
  applyDecorators(
    SetMetadata(IDEMPOTENT_KEY, (options.required ? 'required' : 'optional') as IdempotentMode),
    UseGuards(IdempotencyGuard),
    UseFilters(ReplayedAnswerFilter),
  );

/**
 * The request's Idempotency-Key, for a use case whose own writes must carry it (a credit note's
 * ledger entry): on an @Idempotent({ required: true }) route the guard has checked it is there.
 * A parameter decorator of our own, so the OpenAPI document keeps the one header @Idempotent
 * declares.
 */
export const IdempotencyKey = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): string | undefined =>
    readIdempotencyKey(
      ctx.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>()
        .headers,
    ),
);
