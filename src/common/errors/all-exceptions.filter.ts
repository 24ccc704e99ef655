import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from './domain-error';
import { unavailableError } from './unavailable-errors';
import { domainErrorForConstraint } from './constraint-errors';
import { ErrorCode, ERROR_STATUS } from './error-code';
import { noteErrorCode } from '../logging/request-log';
import { loggedUrl } from '../logging/logged-url';

/** Errors Fastify raises while reading a body, before any Nest handler runs. */
interface BodyReadError {
  code?: string;
  statusCode?: number;
}

const BODY_READ_ERRORS: Record<string, [ErrorCode, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [
    'PAYLOAD_TOO_LARGE',
    'The request body is larger than the allowed limit',
  ],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [
    'MALFORMED_JSON',
    'The request body does not match its Content-Length',
  ],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type'],
};

/**
 * A compressed body that does not decompress: zlib's own error (Z_DATA_ERROR, brotli's
 * ERR__ERROR_FORMAT_…), which Fastify marks as a 400.
 */
function isUndecodableBody(e: BodyReadError | null): boolean {
  return e?.statusCode === 400 && /^(Z_|ERR__)/.test(e.code ?? '');
}

/**
 * The client hung up mid-request (a reset or an abort while its body was read): no one is left
 * to answer, and it is not our error, so it is logged at info, never as a 500.
 */
export function isClientAbort(exception: unknown): boolean {
  const e = exception as BodyReadError | null;
  // Only as Fastify reports it (a 400 while reading): a database's ECONNRESET is a 503.
  return (
    e?.statusCode === 400 &&
    ['ECONNRESET', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE'].includes(e.code ?? '')
  );
}

const HTTP_STATUS_CODES: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

/** A body richer than Nest's default (e.g. terminus' health report) is kept as details. */
function extraDetails(exception: HttpException): unknown {
  const body = exception.getResponse();
  if (typeof body !== 'object' || body === null) return null;
  const rest = Object.keys(body).filter((k) => !['statusCode', 'message', 'error'].includes(k));
  return rest.length > 0 ? body : null;
}

/** Maps anything thrown during a request to the single error shape. */
export function toDomainError(exception: unknown): DomainError | null {
  if (exception instanceof DomainError) return exception;
  if (exception instanceof ThrottlerException) {
    return new DomainError('RATE_LIMITED', 'Too many requests; retry after the Retry-After delay');
  }
  if (exception instanceof HttpException) {
    const code = HTTP_STATUS_CODES[exception.getStatus()];
    return code ? new DomainError(code, exception.message, extraDetails(exception)) : null;
  }
  const parser = exception as BodyReadError | null;
  if (parser?.code && BODY_READ_ERRORS[parser.code]) {
    const [code, message] = BODY_READ_ERRORS[parser.code];
    return new DomainError(code, message);
  }
  if (isClientAbort(parser)) {
    return new DomainError('MALFORMED_JSON', 'The connection closed before the whole body arrived');
  }
  if (isUndecodableBody(parser)) {
    return new DomainError(
      'MALFORMED_JSON',
      'The request body could not be decompressed as its Content-Encoding says',
    );
  }
  return domainErrorForConstraint(exception) ?? unavailableError(exception);
}

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const req = host.switchToHttp().getRequest<FastifyRequest>();
    const res = host.switchToHttp().getResponse<FastifyReply>();
    if (isClientAbort(exception)) {
      this.logger.log(
        { requestId: req.id, reason: (exception as BodyReadError).code ?? 'connection reset' },
        `client closed the connection during ${req.method} ${loggedUrl(req.url)}`,
      );
      // Writing to the closed socket would only raise a second error.
      if (res.raw.destroyed || req.raw.socket.destroyed) return;
    }
    const known = toDomainError(exception);
    if (known?.code === 'SERVICE_UNAVAILABLE') {
      this.logger.warn({ err: exception, requestId: req.id }, 'backing service unavailable');
    }
    const sqlState = (known?.details as { sqlState?: string } | null)?.sqlState;
    if (sqlState) {
      // Refused by the database, not by validation: a rule the DTO is missing. Logged without
      // the error itself, whose message, detail and context quote the value.
      const pg = exception as { table?: string; column?: string; routine?: string };
      this.logger.error(
        { sqlState, table: pg.table, column: pg.column, routine: pg.routine, requestId: req.id },
        `the database refused a value on ${req.method} ${loggedUrl(req.url)}: a validation rule is missing`,
      );
    }
    if (!known) {
      this.logger.error(
        { err: exception, requestId: req.id },
        `unhandled error on ${req.method} ${loggedUrl(req.url)}`,
      );
    }
    const error = known ?? new DomainError('INTERNAL', 'Internal server error');
    noteErrorCode(res.raw, error.code); // for the request's log line (LoggingModule)
    if (res.sent || res.raw.headersSent) return;
    // Both pass in a moment: an outage, or a request with the key still running.
    if (error.code === 'SERVICE_UNAVAILABLE' || error.code === 'IDEMPOTENCY_KEY_IN_USE') {
      res.header('Retry-After', '1');
    }
    const retryAfter = (error.details as { retryAfterSeconds?: number } | null)?.retryAfterSeconds;
    if (error.code === 'RATE_LIMITED' && retryAfter) res.header('Retry-After', `${retryAfter}`);
    res.status(error.status ?? ERROR_STATUS.INTERNAL).send(errorBody(error, req.id));
  }
}

/** The one error shape every refusal is answered in. */
export function errorBody(error: DomainError, requestId: string | undefined) {
  return {
    error: {
      code: error.code,
      message: error.message,
      details: error.details,
      requestId: requestId ?? null,
    },
  };
}
