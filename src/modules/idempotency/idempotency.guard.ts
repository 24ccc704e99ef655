import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { watchCommits } from '../../common/http/request-context';
import {
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENT_KEY,
  type IdempotentMode,
} from '../../common/http/idempotent';
import { replayOf } from './idempotency-answers';
import { IdempotencyKeysService } from './idempotency-keys.service';
import { holdLease } from './idempotency-leases';
import { fingerprintOf, idempotencyScope, readIdempotencyKey } from './idempotency-request';

/**
 * Takes the Idempotency-Key of a request to a route marked @Idempotent(). A guard, not an
 * interceptor: it costs nothing on a request without the header (an interceptor would run
 * Nest's interceptor pipeline on every request of the route). It runs after the global guards
 * (the caller is known, a replay never skips authentication or roles, and it still counts
 * toward the rate limits) and before the pipes: a 400 from validation is an outcome the onSend
 * hook sees, and does not keep (IdempotencyOutcomes).
 */
@Injectable()
export class IdempotencyGuard implements CanActivate {
  constructor(
    private readonly keys: IdempotencyKeysService,
    private readonly reflector: Reflector,
  ) {}

  canActivate(ctx: ExecutionContext): boolean | Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<FastifyRequest & { user?: Actor }>();
    const key = readIdempotencyKey(req.headers);
    if (key === undefined && this.mode(ctx) === 'required') {
      throw DomainError.validation([
        {
          field: IDEMPOTENCY_KEY_HEADER,
          messages: [
            `${IDEMPOTENCY_KEY_HEADER} is required here: a retry without it would do this twice`,
          ],
        },
      ]);
    }
    // No caller, no scope to keep a key in: only a @Public() route could get here.
    if (key === undefined || !req.user) return true;
    return this.take(req, req.user, key, ctx.switchToHttp().getResponse<FastifyReply>());
  }

  private mode(ctx: ExecutionContext): IdempotentMode | undefined {
    return this.reflector.get<IdempotentMode>(IDEMPOTENT_KEY, ctx.getHandler());
  }

  private async take(
    req: FastifyRequest,
    caller: Actor,
    key: string,
    res: FastifyReply,
  ): Promise<boolean> {
    const claim = await this.keys
      .claim(idempotencyScope(caller), key, fingerprintOf(req))
      .catch((err: unknown) => {
        // The first request may finish any moment: say when to come back.
        if (err instanceof DomainError && err.code === 'IDEMPOTENCY_KEY_IN_USE') {
          res.header('Retry-After', '1');
        }
        throw err;
      });
    if (claim.kind === 'replay') throw replayOf(res, claim.answer);
    holdLease(req, claim.lease);
    // The rest of the request tells the lease what its transactions commit.
    watchCommits(claim.lease.commits);
    return true;
  }
}
