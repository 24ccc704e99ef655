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
      void this.settle(lease, storableAnswer(reply.statusCode, payload, reply)).then(() =>
        done(null, payload),
      );
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

/** Sends a stored success again (the guard set the replay headers already). */
@Catch(ReplayedAnswer)
export class ReplayedAnswerFilter implements ExceptionFilter<ReplayedAnswer> {
  catch({ answer }: ReplayedAnswer, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<FastifyReply>();
    void res.status(answer.status).send(answer.body ?? undefined);
  }
}
