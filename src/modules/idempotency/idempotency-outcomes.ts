import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  Injectable,
  Logger,
  OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { DomainError } from '../../common/errors/domain-error';
import { errorBody } from '../../common/errors/all-exceptions.filter';
import { ReplayedAnswer, storableAnswer } from './idempotency-answers';
import { IdempotencyKeysService, Lease, StoredAnswer } from './idempotency-keys.service';
import { takeLease } from './idempotency-leases';

/**
 * Settles the key of every keyed request in Fastify's onSend hook: the response, success or
 * error (the exception filter's answer passes here too), is stored or the key freed before a
 * byte of it is sent, so a client that reads the answer and retries finds it stored. The hook
 * runs whether or not the client is still there: a client that hung up is exactly the one
 * that will retry.
 */
@Injectable()
export class IdempotencyOutcomes implements OnModuleInit {
  private readonly logger = new Logger(IdempotencyOutcomes.name);

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly keys: IdempotencyKeysService,
  ) {}

  onModuleInit(): void {
    // A process without an HTTP server (the client generator) has no responses to settle.
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    // Routes registered already get the hook too: Fastify attaches hooks when it gets ready.
    fastify.addHook('onSend', (request, reply, payload, done) => {
      const lease = takeLease(request);
      if (lease === undefined) return done(null, payload);
      const kept = storableAnswer(reply.statusCode, payload, reply);
      const lost = kept ? null : lostOutcome(lease);
      if (lost) {
        // Said in place of the failure (a 503 says nothing was changed), and kept for retries.
        reply.code(lost.status).removeHeader('retry-after');
        payload = JSON.stringify(errorBody(lost.error, request.id));
      }
      void this.settle(lease, lost?.answer ?? kept).then(() => done(null, payload));
    });
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

/**
 * The answer for a request that failed in a way a key does not keep (a 5xx, a collision) after
 * one of its transactions committed, or while a COMMIT went unanswered: a retry under the key
 * would do again what is already done, or may be. The key keeps this answer instead, so the
 * client reads the state rather than sending it again (a new key is a new request). Null when
 * nothing committed: the key is freed and a retry runs afresh, as before.
 */
function lostOutcome(
  lease: Lease,
): { status: number; error: DomainError; answer: StoredAnswer } | null {
  const outcome = lease.commits.outcome;
  if (outcome === 'none') return null;
  const details = { idempotencyKey: lease.key };
  const error =
    outcome === 'committed'
      ? new DomainError(
          'ANSWER_LOST',
          'This request was carried out and its changes saved, but a failure after them lost its answer: read the current state rather than sending it again',
          details,
        )
      : new DomainError(
          'OUTCOME_UNKNOWN',
          'The database did not confirm whether this request was carried out (the connection broke as it saved): read the current state before sending it again under a new key',
          details,
        );
  const { code, message } = error;
  return {
    status: error.status,
    error,
    answer: { status: error.status, body: { error: { code, message, details } }, headers: {} },
  };
}

/** Sends a stored success again (the guard set the replay headers already). */
@Catch(ReplayedAnswer)
export class ReplayedAnswerFilter implements ExceptionFilter<ReplayedAnswer> {
  catch({ answer }: ReplayedAnswer, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<FastifyReply>();
    void res.status(answer.status).send(answer.body ?? undefined);
  }
}
