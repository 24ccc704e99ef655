import { NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { QueryFailedError } from 'typeorm';
import { isClientAbort, toDomainError } from './all-exceptions.filter';
import { domainErrorForConstraint } from './constraint-errors';
import { DomainError } from './domain-error';
import { ERROR_STATUS } from './error-code';
import { inState } from './in-state';

describe('error mapping', () => {
  it('maps a named unique violation to its precise 409', () => {
    const pg = Object.assign(new Error('dup'), { code: '23505', constraint: 'uq_users_email' });
    const err = domainErrorForConstraint(new QueryFailedError('INSERT', [], pg));
    expect(err).toMatchObject({ code: 'EMAIL_TAKEN', status: 409 });
  });

  it('leaves unknown constraints and other database errors unmapped (500, logged)', () => {
    expect(domainErrorForConstraint({ code: '23505', constraint: 'uq_unknown' })).toBeNull();
    expect(domainErrorForConstraint({ code: '57014' })).toBeNull();
    expect(toDomainError(new Error('boom'))).toBeNull();
  });

  it('answers a value the database refused as data (class 22) with 400, not 500', () => {
    const refused = new QueryFailedError('SELECT $1::timestamptz', ['…'], {
      code: '22009',
    } as unknown as Error);
    expect(domainErrorForConstraint(refused)).toMatchObject({
      code: 'VALIDATION_FAILED',
      status: 400,
      details: { sqlState: '22009' },
    });
    // Our SQL's own data exceptions stay 500s: division by zero, a number too big for its type.
    expect(domainErrorForConstraint({ code: '22012' })).toBeNull();
    expect(domainErrorForConstraint({ code: '22003' })).toBeNull();
  });

  it('maps framework exceptions to stable codes', () => {
    expect(toDomainError(new ThrottlerException())).toMatchObject({
      code: 'RATE_LIMITED',
      status: 429,
    });
    expect(toDomainError(new NotFoundException())).toMatchObject({
      code: 'NOT_FOUND',
      status: 404,
    });
    expect(toDomainError(new ServiceUnavailableException({ status: 'error' }))).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      details: { status: 'error' },
    });
    expect(toDomainError({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 })).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
    });
  });

  it("maps body-reading failures that are the caller's to 4xx", () => {
    // As Fastify hands them on: zlib's own error, marked a 400.
    const zlib = (code: string) =>
      Object.assign(new Error('Bad Request'), { statusCode: 400, code });
    for (const code of ['Z_DATA_ERROR', 'Z_BUF_ERROR', 'ERR__ERROR_FORMAT_PADDING_2']) {
      expect(toDomainError(zlib(code))).toMatchObject({ code: 'MALFORMED_JSON', status: 400 });
    }
    const shortBody = { code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH', statusCode: 400 };
    expect(toDomainError(shortBody)).toMatchObject({ code: 'MALFORMED_JSON' });
    expect(
      toDomainError({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }),
    ).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', status: 415 });
    // The same codes without Fastify's mark are not a body problem.
    expect(toDomainError(Object.assign(new Error('x'), { code: 'Z_DATA_ERROR' }))).toBeNull();
  });

  it('tells a client that hung up from a backing service that did', () => {
    const aborted = { statusCode: 400, code: 'ECONNABORTED' };
    const reset = { statusCode: 400, code: 'ECONNRESET', message: 'aborted' };
    expect([isClientAbort(aborted), isClientAbort(reset)]).toEqual([true, true]);
    expect(toDomainError(aborted)).toMatchObject({ code: 'MALFORMED_JSON', status: 400 });
    const redis = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(isClientAbort(redis)).toBe(false);
    expect(toDomainError(redis)).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });

  it('maps lost database and Redis connections to 503, not 500', () => {
    const unavailable = [
      { code: '57P01', message: 'terminating connection due to administrator command' },
      { code: '08006', message: 'connection failure' },
      { code: '53300', message: 'sorry, too many clients already' },
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      Object.assign(new Error('x'), { name: 'QueryRunnerAlreadyReleasedError' }),
      { driverError: { code: '57P01' }, message: 'wrapped by TypeORM' },
      new Error('Reached the max retries per request limit (which is 20).'),
    ];
    for (const e of unavailable) {
      expect(toDomainError(e)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
    }
    // A data exception is the request's value, refused by the database: 400 (see below).
    expect(toDomainError({ code: '22P02', message: 'invalid input syntax' })).toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(toDomainError(new Error('something else'))).toBeNull();
  });

  it('gives every code a 4xx or 5xx status', () => {
    for (const [code, status] of Object.entries(ERROR_STATUS)) {
      expect({ code, ok: status >= 400 && status < 600 }).toEqual({ code, ok: true });
    }
    expect(new DomainError('FORBIDDEN', 'x').status).toBe(403);
  });

  it('says a status in a sentence with its article: not "A executing run"', () => {
    expect(inState('executing', 'run')).toBe('An executing run');
    expect(inState('approved', 'adjustment')).toBe('An approved adjustment');
    expect(inState('in_flight', 'line')).toBe('An in-flight line');
    expect(inState('paid', 'invoice')).toBe('A paid invoice');
  });
});
