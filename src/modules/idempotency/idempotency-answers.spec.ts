import { HttpException } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';
import { keptHeaders, replay, storableError } from './idempotency-answers';

describe('which outcomes an Idempotency-Key keeps', () => {
  const pg = (code: string, constraint?: string) =>
    Object.assign(new Error('pg'), { driverError: { code, constraint } });

  it('keeps the errors of a use case that ran: they answer the same on a retry', () => {
    for (const e of [
      new DomainError('SHIFT_FULL', 'full'),
      DomainError.notFound('Shift'),
      new DomainError('FORBIDDEN', 'no'),
      new DomainError('PAYOUT_RUN_OPEN', 'open'),
      pg('23505', 'uq_payout_runs_open'),
    ]) {
      expect(storableError(e)).toMatchObject({ status: expect.any(Number), headers: {} });
    }
    expect(storableError(new DomainError('SHIFT_FULL', 'full', { seats: 5 }))).toEqual({
      status: 409,
      body: { error: { code: 'SHIFT_FULL', message: 'full', details: { seats: 5 } } },
      headers: {},
    });
  });

  it('keeps no 400, 401, 429, 5xx, nor a collision with a concurrent transaction', () => {
    for (const e of [
      DomainError.validation([{ field: 'seats', messages: ['too few'] }]),
      new DomainError('MALFORMED_JSON', 'bad'),
      new DomainError('UNAUTHENTICATED', 'who'),
      new DomainError('RATE_LIMITED', 'slow down'),
      new DomainError('SERVICE_UNAVAILABLE', 'down'),
      new HttpException('gateway', 502),
      new Error('a bug'),
      pg('40P01'), // deadlock
      pg('40001'), // serialization failure
    ]) {
      expect(storableError(e)).toBeNull();
    }
  });
});

describe('a replayed answer', () => {
  const res = () => {
    const headers: Record<string, string> = {};
    let status = 0;
    return {
      headers,
      status: () => status,
      fake: {
        header: (n: string, v: string) => (headers[n.toLowerCase()] = v),
        status: (s: number) => (status = s),
      } as never,
    };
  };

  it('has the stored status, body and kept headers, and says it is a replay', () => {
    const r = res();
    const body = replay(r.fake, { status: 201, body: { id: 'x' }, headers: { location: '/x' } });
    expect(body).toEqual({ id: 'x' });
    expect(r.status()).toBe(201);
    expect(r.headers).toEqual({ 'idempotent-replayed': 'true', location: '/x' });
    expect(replay(res().fake, { status: 204, body: null, headers: {} })).toBeUndefined();
  });

  it('rethrows a stored error as the same DomainError', () => {
    const r = res();
    const stored = storableError(new DomainError('SHIFT_FULL', 'full', { a: 1 }))!;
    expect(() => replay(r.fake, stored)).toThrow(
      expect.objectContaining({ code: 'SHIFT_FULL', message: 'full', details: { a: 1 } }),
    );
    expect(r.headers['idempotent-replayed']).toBe('true');
  });

  it('keeps only the headers that matter', () => {
    const headers: Record<string, string> = { location: '/v1/x', 'x-request-id': 'r' };
    expect(keptHeaders({ getHeader: (n: string) => headers[n] } as never)).toEqual({
      location: '/v1/x',
    });
  });
});
