import { IDEMPOTENT_REPLAYED_HEADER } from '../../common/http/idempotent';
import type { FastifyReply } from 'fastify';
import { toDomainError } from '../../common/errors/all-exceptions.filter';
import { DomainError } from '../../common/errors/domain-error';
import { ErrorCode } from '../../common/errors/error-code';
import type { StoredAnswer } from './idempotency-keys.service';

/** Response headers replayed with a stored answer (none of today's routes sets one). */
const KEPT_HEADERS = ['location'];

/**
 * The errors a key keeps: the outcome of a use case that ran (404, 403, 409 SHIFT_FULL…).
 * Not kept, so the same key can be retried: 400 (nothing ran: fix the body and retry), 401,
 * 429, every 5xx (an outage), and 409 CONFLICT, a collision with a concurrent transaction.
 */
export function storableError(err: unknown): StoredAnswer | null {
  const e = toDomainError(err);
  if (!e || e.status >= 500 || [400, 401, 429].includes(e.status) || e.code === 'CONFLICT') {
    return null;
  }
  return {
    status: e.status,
    body: { error: { code: e.code, message: e.message, details: e.details } },
    headers: {},
  };
}

export function keptHeaders(res: Pick<FastifyReply, 'getHeader'>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = res.getHeader(name);
    if (value !== undefined) out[name] = String(value);
  }
  return out;
}

/** The stored answer again; an error goes through the one filter (with this request's id). */
export function replay(
  res: Pick<FastifyReply, 'header' | 'status'>,
  answer: StoredAnswer,
): unknown {
  res.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
  for (const [name, value] of Object.entries(answer.headers)) res.header(name, value);
  if (answer.status >= 400) {
    const { code, message, details } = (answer.body as { error: StoredError }).error;
    throw new DomainError(code, message, details);
  }
  res.status(answer.status);
  return answer.body ?? undefined;
}

interface StoredError {
  code: ErrorCode;
  message: string;
  details: unknown;
}
