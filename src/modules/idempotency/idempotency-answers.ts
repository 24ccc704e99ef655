import type { FastifyReply } from 'fastify';
import { DomainError } from '../../common/errors/domain-error';
import { ErrorCode } from '../../common/errors/error-code';
import { IDEMPOTENT_REPLAYED_HEADER } from '../../common/http/idempotent';
import type { StoredAnswer } from './idempotency-keys.service';

/** Response headers replayed with a stored answer (none of today's routes sets one). */
// cache-control: a replayed answer with a secret in it (an API key) is no more cacheable than
// the first.
const KEPT_HEADERS = ['location', 'cache-control'];

/**
 * What a key keeps of the response about to be sent (its status and serialized body), or null
 * to free the key. Kept: a success, and the errors of a use case that ran (404, 403, 409
 * SHIFT_FULL…). Not kept, so the same key can be retried: 400 (nothing ran: fix the body and
 * retry), 401, 429, every 5xx (an outage), 409 CONFLICT (a collision with a concurrent
 * transaction), and a body that is not JSON (no idempotent route answers one).
 */
export function storableAnswer(
  status: number,
  payload: unknown,
  reply: Pick<FastifyReply, 'getHeader'>,
): StoredAnswer | null {
  const body = jsonOf(payload);
  if (body === NOT_JSON) return null;
  if (status >= 200 && status < 300) return { status, body, headers: keptHeaders(reply) };
  const error = (body as { error?: StoredError } | null)?.error;
  if (!error || status >= 500 || [400, 401, 429].includes(status) || error.code === 'CONFLICT') {
    return null;
  }
  // Without this request's id: a replay gets its own.
  const { code, message, details } = error;
  return { status, body: { error: { code, message, details } }, headers: {} };
}

export function keptHeaders(res: Pick<FastifyReply, 'getHeader'>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = res.getHeader(name);
    if (value !== undefined) out[name] = String(value);
  }
  return out;
}

/**
 * IDEMPOTENCY_KEY_IN_USE for a request whose key was taken over while it ran (it stalled past
 * its lease): rolled back, its retry runs it. Sent again, it gets that retry's answer.
 */
export function leaseLostError(idempotencyKey: string): DomainError {
  return new DomainError(
    'IDEMPOTENCY_KEY_IN_USE',
    'This request stalled past its lease and a retry with its key took it over: nothing of this one was saved; send it again to get the answer',
    { idempotencyKey, retryable: true },
  );
}

/** ANSWER_LOST: the request under this key was carried out, and its answer cannot be given. */
export function answerLostError(idempotencyKey: string): DomainError {
  return new DomainError(
    'ANSWER_LOST',
    'This request was carried out, but a failure after it lost its answer: read the current state rather than sending it again',
    { idempotencyKey },
  );
}

/**
 * The answer of a keyed request that failed after saving its change (`saved`: ANSWER_LOST) or
 * perhaps so (`unknown`: OUTCOME_UNKNOWN), as sent and as kept under the key (without a
 * request id: a replay gets its own).
 */
export function lostOutcomeAnswer(
  outcome: 'saved' | 'unknown',
  idempotencyKey: string,
): { error: DomainError; answer: StoredAnswer } {
  const details = { idempotencyKey };
  const error =
    outcome === 'saved'
      ? answerLostError(idempotencyKey)
      : new DomainError(
          'OUTCOME_UNKNOWN',
          'Whether this request was carried out is not known (the failure came as it saved, or between its steps): read the current state before sending it again under a new key',
          details,
        );
  const { code, message } = error;
  return {
    error,
    answer: { status: error.status, body: { error: { code, message, details } }, headers: {} },
  };
}

/** Thrown by the guard to answer with a stored success; ReplayedAnswerFilter sends it. */
export class ReplayedAnswer {
  constructor(readonly answer: StoredAnswer) {}
}

/**
 * What the guard throws to answer with a stored answer, marked as a replay. A stored error
 * becomes the same DomainError again and goes through the one filter (with this request's id).
 */
export function replayOf(
  res: Pick<FastifyReply, 'header'>,
  answer: StoredAnswer,
): DomainError | ReplayedAnswer {
  res.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
  for (const [name, value] of Object.entries(answer.headers)) res.header(name, value);
  if (answer.status < 400) return new ReplayedAnswer(answer);
  const { code, message, details } = (answer.body as { error: StoredError }).error;
  return new DomainError(code, message, details);
}

interface StoredError {
  code: ErrorCode;
  message: string;
  details: unknown;
}

const NOT_JSON = Symbol('not JSON');

/** The serialized body Fastify is about to send, read back; an empty one is null (a 204). */
function jsonOf(payload: unknown): unknown {
  if (payload === undefined || payload === null || payload === '') return null;
  if (typeof payload !== 'string') return NOT_JSON;
  try {
    return JSON.parse(payload) as unknown;
  } catch {
    return NOT_JSON;
  }
}
