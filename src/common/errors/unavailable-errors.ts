import { DomainError } from './domain-error';

/*
 * Errors that mean "a backing service is unreachable right now", not "this request is wrong":
 * PostgreSQL connections killed or refused (an administrator, a failover, a restart), the pool
 * exhausted past its connect timeout, Redis down. The failing statement committed nothing,
 * though one before it may have (IdempotencyOutcomes answers a keyed request so then): 503
 * with Retry-After, never a 500.
 */

// SQLSTATE: class 08 (connection exception), 57P01–57P03 (admin shutdown, crash shutdown,
// cannot connect now), 53300 (too many connections).
const PG_UNAVAILABLE = /^(08...|57P0[123]|53300)$/;

const MESSAGES = [
  'Connection terminated', // pg: the server closed the socket mid-query
  'was already released', // TypeORM: its query runner's connection died under it
  'timeout exceeded when trying to connect', // pg-pool: no connection within connectTimeout
  'Client has encountered a connection error', // pg: a client that already lost its socket
  'Connection is closed', // ioredis: Redis went away
  'Reached the max retries per request limit', // ioredis while Redis is down
  'ECONNREFUSED',
  'ECONNRESET',
];

const NAMES = ['QueryRunnerAlreadyReleasedError', 'MaxRetriesPerRequestError'];

interface MaybeServiceError {
  code?: string;
  name?: string;
  message?: string;
  driverError?: MaybeServiceError;
}

export function unavailableError(exception: unknown): DomainError | null {
  const e = exception as MaybeServiceError | null;
  if (!e || typeof e !== 'object') return null;
  const inner = e.driverError ?? e;
  const unavailable =
    (typeof inner.code === 'string' &&
      (PG_UNAVAILABLE.test(inner.code) || inner.code === 'ECONNREFUSED')) ||
    NAMES.includes(e.name ?? '') ||
    MESSAGES.some((m) => (e.message ?? '').includes(m) || (inner.message ?? '').includes(m));
  return unavailable
    ? new DomainError(
        'SERVICE_UNAVAILABLE',
        // Not "nothing was changed": the failure may follow a commit (a read after it), or
        // break one. A keyed request is answered ANSWER_LOST or OUTCOME_UNKNOWN then.
        'A backing service is unavailable for a moment; retry shortly',
      )
    : null;
}
