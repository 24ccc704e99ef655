import { HttpException } from '@nestjs/common';
import { errorBody, toDomainError } from '../../common/errors/all-exceptions.filter';
import { DomainError } from '../../common/errors/domain-error';
import { keptHeaders, replayOf, ReplayedAnswer, storableAnswer } from './idempotency-answers';

/** A reply with the given headers, as the onSend hook sees it. */
const reply = (headers: Record<string, string> = {}) =>
  ({ getHeader: (n: string) => headers[n] }) as never;

/** What the onSend hook sees of an error: the status and body the exception filter sends. */
function sentFor(err: unknown): [number, string] {
  const e = toDomainError(err) ?? new DomainError('INTERNAL', 'Internal server error');
  return [e.status, JSON.stringify(errorBody(e, 'req-1'))];
}

describe('which outcomes an Idempotency-Key keeps', () => {
  const pg = (code: string, constraint?: string) =>
    Object.assign(new Error('pg'), { driverError: { code, constraint } });

  it('keeps a success with its kept headers, and an empty 204', () => {
    const created = storableAnswer(201, '{"id":"x"}', reply({ location: '/x', 'x-a': 'b' }));
    expect(created).toEqual({ status: 201, body: { id: 'x' }, headers: { location: '/x' } });
    expect(storableAnswer(204, '', reply())).toEqual({ status: 204, body: null, headers: {} });
    expect(storableAnswer(204, undefined, reply())).toEqual({
      status: 204,
      body: null,
      headers: {},
    });
  });

  it('keeps the errors of a use case that ran, without the request id', () => {
    for (const e of [
      new DomainError('SHIFT_FULL', 'full'),
      DomainError.notFound('Shift'),
      new DomainError('FORBIDDEN', 'no'),
      new DomainError('PAYOUT_RUN_OPEN', 'open'),
      pg('23505', 'uq_payout_runs_open'),
    ]) {
      const [status, body] = sentFor(e);
      expect(storableAnswer(status, body, reply())).toMatchObject({ status, headers: {} });
    }
    const [status, body] = sentFor(new DomainError('SHIFT_FULL', 'full', { seats: 5 }));
    expect(storableAnswer(status, body, reply())).toEqual({
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
      expect(storableAnswer(...sentFor(e), reply())).toBeNull();
    }
  });

  it('keeps no body that is not JSON, nor an error without the error shape', () => {
    expect(storableAnswer(200, 'plain text', reply())).toBeNull();
    expect(storableAnswer(200, Buffer.from('{}'), reply())).toBeNull();
    expect(storableAnswer(404, '{"message":"nope"}', reply())).toBeNull();
  });
});

describe('a replayed answer', () => {
  const res = () => {
    const headers: Record<string, string> = {};
    return {
      headers,
      fake: { header: (n: string, v: string) => (headers[n.toLowerCase()] = v) } as never,
    };
  };

  it('is the stored success with its kept headers, marked as a replay', () => {
    const r = res();
    const stored = { status: 201, body: { id: 'x' }, headers: { location: '/x' } };
    const thrown = replayOf(r.fake, stored);
    expect(thrown).toBeInstanceOf(ReplayedAnswer);
    expect((thrown as ReplayedAnswer).answer).toBe(stored);
    expect(r.headers).toEqual({ 'idempotent-replayed': 'true', location: '/x' });
  });

  it('is a stored error as the same DomainError', () => {
    const r = res();
    const stored = storableAnswer(
      ...sentFor(new DomainError('SHIFT_FULL', 'full', { a: 1 })),
      reply(),
    )!;
    expect(replayOf(r.fake, stored)).toEqual(
      expect.objectContaining({ code: 'SHIFT_FULL', message: 'full', details: { a: 1 } }),
    );
    expect(replayOf(r.fake, stored)).toBeInstanceOf(DomainError);
    expect(r.headers['idempotent-replayed']).toBe('true');
  });

  it('keeps only the headers that matter', () => {
    const headers: Record<string, string> = { location: '/v1/x', 'x-request-id': 'r' };
    expect(keptHeaders({ getHeader: (n: string) => headers[n] } as never)).toEqual({
      location: '/v1/x',
    });
  });
});
