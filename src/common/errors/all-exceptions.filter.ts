import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { DomainError } from './domain-error';
import { unavailableError } from './unavailable-errors';
import { domainErrorForConstraint } from './constraint-errors';
import { ErrorCode, ERROR_STATUS } from './error-code';
import { noteErrorCode } from '../logging/request-log';

/** Errors raised by Express body parsing, before any Nest handler runs (http-errors shape). */
interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
  code?: string;
}

const BODY_PARSER_ERRORS: Record<string, [ErrorCode, string]> = {
  'entity.parse.failed': ['MALFORMED_JSON', 'The request body is not valid JSON'],
  'entity.too.large': ['PAYLOAD_TOO_LARGE', 'The request body is larger than the allowed limit'],
  'encoding.unsupported': ['UNSUPPORTED_MEDIA_TYPE', 'Unsupported content encoding'],
  'charset.unsupported': ['UNSUPPORTED_MEDIA_TYPE', 'Unsupported charset'],
  'request.size.invalid': ['MALFORMED_JSON', 'The request body does not match its Content-Length'],
};

/**
 * A compressed body that does not decompress: raw-body hands on zlib's own error (Z_DATA_ERROR,
 * brotli's ERR__ERROR_FORMAT_…), which http-errors marks as an exposed 400 without a type.
 */
function isUndecodableBody(e: BodyParserError | null): boolean {
  return e?.status === 400 && e.expose === true && /^(Z_|ERR_)/.test(e.code ?? '');
}

/**
 * The client hung up mid-request (body-parser's request.aborted, or a reset while reading): no
 * one is left to answer, and it is not our error, so it is logged at info, never as a 500.
 */
export function isClientAbort(exception: unknown): boolean {
  const e = exception as BodyParserError | null;
  if (e?.type === 'request.aborted') return true;
  // Only as body-parser reports it (an exposed 400): a database's ECONNRESET is a 503.
  return (
    e?.status === 400 && e.expose === true && ['ECONNRESET', 'ECONNABORTED'].includes(e.code ?? '')
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
  const parser = exception as BodyParserError | null;
  if (parser?.type && BODY_PARSER_ERRORS[parser.type]) {
    const [code, message] = BODY_PARSER_ERRORS[parser.type];
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
    const req = host.switchToHttp().getRequest<Request & { id?: string }>();
    const res = host.switchToHttp().getResponse<Response>();
    if (isClientAbort(exception)) {
      this.logger.log(
        { requestId: req.id, reason: (exception as BodyParserError).type ?? 'connection reset' },
        `client closed the connection during ${req.method} ${req.originalUrl}`,
      );
      // Writing to the closed socket would only raise a second error.
      if (res.destroyed || req.socket.destroyed) return;
    }
    const known = toDomainError(exception);
    if (known?.code === 'SERVICE_UNAVAILABLE') {
      this.logger.warn({ err: exception, requestId: req.id }, 'backing service unavailable');
    }
    if (!known) {
      this.logger.error(
        { err: exception, requestId: req.id },
        `unhandled error on ${req.method} ${req.originalUrl}`,
      );
    }
    const error = known ?? new DomainError('INTERNAL', 'Internal server error');
    noteErrorCode(res, error.code); // for the request's log line (LoggingModule)
    if (res.headersSent) return;
    if (error.code === 'SERVICE_UNAVAILABLE') res.setHeader('Retry-After', '1');
    const retryAfter = (error.details as { retryAfterSeconds?: number } | null)?.retryAfterSeconds;
    if (error.code === 'RATE_LIMITED' && retryAfter) res.setHeader('Retry-After', `${retryAfter}`);
    res.status(error.status ?? ERROR_STATUS.INTERNAL).json({
      error: {
        code: error.code,
        message: error.message,
        details: error.details,
        requestId: req.id ?? null,
      },
    });
  }
}
