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
import { noteErrorCode } from '../../common/logging/request-log';
import { lostOutcomeAnswer, ReplayedAnswer, storableAnswer } from './idempotency-answers';
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
      void this.answer(lease, request.id, reply, payload).then((sent) => done(null, sent));
    });
  }

  /**
   * Keeps the answer, or frees the key; but an answer a key does not keep (a 5xx, a collision)
   * after the request saved something, or may have, is replaced by ANSWER_LOST or
   * OUTCOME_UNKNOWN, which the key keeps (lostOutcome). What is sent; never throws.
   */
  private async answer(
    lease: Lease,
    requestId: string,
    reply: FastifyReply,
    payload: unknown,
  ): Promise<unknown> {
    lease.commits.answered = true; // anything still running in its context is not the request
    const kept = storableAnswer(reply.statusCode, payload, reply);
    const lost = kept ? null : await this.lostOutcome(lease);
    if (lost) {
      reply.code(lost.error.status).removeHeader('retry-after');
      noteErrorCode(reply.raw, lost.error.code); // the request's log line says what was sent
      payload = JSON.stringify(errorBody(lost.error, requestId));
    }
    await this.settle(lease, lost?.answer ?? kept);
    return payload;
  }

  /** What the request's transactions left (CommitRecord), a COMMIT in doubt asked about. */
  private async lostOutcome(
    lease: Lease,
  ): Promise<{ error: DomainError; answer: StoredAnswer } | null> {
    const fates = await this.keys.fatesOf(lease.commits.inDoubt);
    const outcome = lease.commits.outcome(fates);
    return outcome === 'none' ? null : lostOutcomeAnswer(outcome, lease.key);
  }

  /**
   * Stores the answer or frees the key. A failure here does not change the answer: the effect
   * happened; when its lease runs out the key is taken over, or answers OUTCOME_UNKNOWN if its
   * request saved something (see docs/operations.md).
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

/** Sends a stored success again (the guard set the replay headers already). */
@Catch(ReplayedAnswer)
export class ReplayedAnswerFilter implements ExceptionFilter<ReplayedAnswer> {
  catch({ answer }: ReplayedAnswer, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<FastifyReply>();
    void res.status(answer.status).send(answer.body ?? undefined);
  }
}
