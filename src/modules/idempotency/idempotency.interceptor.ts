import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, Observable } from 'rxjs';
import type { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { keptHeaders, replay, storableError } from './idempotency-answers';
import { IdempotencyKeysService, Lease, StoredAnswer } from './idempotency-keys.service';
import {
  fingerprintOf,
  idempotencyScope,
  readIdempotencyKey,
  RequestFingerprint,
} from './idempotency-request';

/**
 * Applies Idempotency-Key to the routes marked @Idempotent(), which attaches it. It runs after the guards (the
 * caller is known, a replay never skips authentication or roles, and it still counts toward
 * the rate limits) and around the pipes: a 400 from validation is an outcome it sees, and
 * does not keep.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger(IdempotencyInterceptor.name);

  constructor(private readonly keys: IdempotencyKeysService) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (ctx.getType() !== 'http') return next.handle();
    const req = ctx.switchToHttp().getRequest<FastifyRequest & { user?: Actor }>();
    const key = readIdempotencyKey(req.headers);
    // No caller, no scope to keep a key in: only a @Public() route could get here.
    if (key === undefined || !req.user) return next.handle();
    const res = ctx.switchToHttp().getResponse<FastifyReply>();
    // A promise apart from the response's observable: the answer is stored even if the client
    // hangs up meanwhile, which is exactly when it will retry.
    return from(this.keyed(idempotencyScope(req.user), key, fingerprintOf(req), next, res));
  }

  private async keyed(
    scope: string,
    key: string,
    fp: RequestFingerprint,
    next: CallHandler,
    res: FastifyReply,
  ): Promise<unknown> {
    const claim = await this.keys.claim(scope, key, fp).catch((err: unknown) => {
      // The first request may finish any moment: say when to come back.
      if (err instanceof DomainError && err.code === 'IDEMPOTENCY_KEY_IN_USE') {
        res.header('Retry-After', '1');
      }
      throw err;
    });
    if (claim.kind === 'replay') return replay(res, claim.answer);
    return this.run(next, res, claim.lease);
  }

  private async run(next: CallHandler, res: FastifyReply, lease: Lease): Promise<unknown> {
    let body: unknown;
    try {
      body = await lastValueFrom(next.handle(), { defaultValue: undefined });
    } catch (err) {
      const answer = storableError(err);
      await this.settle(lease, answer);
      throw err;
    }
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    await this.settle(
      lease,
      ok ? { status: res.statusCode, body, headers: keptHeaders(res) } : null,
    );
    return body;
  }

  /**
   * Stores the answer or frees the key. A failure here does not change the answer: the effect
   * happened; the key frees itself when its lease runs out (see docs/operations.md).
   */
  private async settle(lease: Lease, answer: StoredAnswer | null): Promise<void> {
    try {
      await (answer ? this.keys.complete(lease, answer) : this.keys.release(lease));
    } catch (err) {
      lease.stop();
      this.logger.error({ err }, 'could not record the outcome of an idempotent request');
    }
  }
}
