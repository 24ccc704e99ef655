import {
  canonicalJson,
  fingerprintOf,
  idempotencyScope,
  mismatchOf,
  readIdempotencyKey,
} from './idempotency-request';

describe('the Idempotency-Key header', () => {
  const read = (value?: string | string[]) => readIdempotencyKey({ 'idempotency-key': value });

  it('is optional, and taken as sent (case-sensitive, up to 255 printable characters)', () => {
    expect(read(undefined)).toBeUndefined();
    expect(read('Order 42/Retry')).toBe('Order 42/Retry');
    expect(read('k'.repeat(255))).toBe('k'.repeat(255));
  });

  it('is refused, naming the header, when empty, too long or not printable ASCII', () => {
    for (const bad of ['', '   ', 'k'.repeat(256), 'a\tb', 'caf\u00e9', 'a\u0000b']) {
      expect(() => read(bad)).toThrow(
        expect.objectContaining({
          code: 'VALIDATION_FAILED',
          details: { fields: [{ field: 'Idempotency-Key', messages: [expect.any(String)] }] },
        }),
      );
    }
  });
});

describe('request fingerprints', () => {
  const req = (body: unknown, path = '/v1/shifts/1/claims') => ({
    method: 'POST',
    url: path,
    routeOptions: { url: '/v1/shifts/:id/claims' },
    query: {},
    body,
  });

  it('do not depend on the order of object keys, at any depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
    expect(fingerprintOf(req({ a: 1, b: { c: 2, d: 3 } }))).toEqual(
      fingerprintOf(req({ b: { d: 3, c: 2 }, a: 1 })),
    );
  });

  it('tell a different body from a different route (ids included)', () => {
    const first = fingerprintOf(req({ a: 1 }));
    expect(first.route).toBe('/v1/shifts/:id/claims');
    expect(mismatchOf(first, fingerprintOf(req({ a: 1 })))).toBeNull();
    expect(mismatchOf(first, fingerprintOf(req({ a: [1] })))).toBe('body');
    expect(mismatchOf(first, fingerprintOf(req({ a: 1 }, '/v1/shifts/2/claims')))).toBe('route');
  });

  it('are the same for a path spelled otherwise that routes to the same place', () => {
    const id = '0f8d3c1e-2b7a-4e59-8c6d-91a4b3e2f705';
    const first = fingerprintOf(req({ a: 1 }, `/v1/shifts/${id}/claims`));
    expect(first.path).toBe(`/v1/shifts/${id}/claims`);
    const again = fingerprintOf(req({ a: 1 }, `/V1/Shifts/${id}/claims/`));
    expect(again.path).toBe(first.path);
    expect(mismatchOf(first, again)).toBeNull();
    // A row stored before paths were spelled so, with the path as sent, still matches.
    expect(mismatchOf({ ...first, path: `/V1/shifts/${id}/claims/` }, first)).toBeNull();
    // Ids keep their case: a bot's external id is its own, and two may differ only by it.
    const external = (sent: string) =>
      fingerprintOf({
        method: 'POST',
        url: `/v1/escalations/${sent}/withdraw`,
        routeOptions: { url: '/v1/escalations/:externalId/withdraw' },
        body: {},
      });
    expect(mismatchOf(external(id.toUpperCase()), external(id))).toBe('route');
    // The same id, encoded or not, as the router decodes it.
    expect(external('conv:1').path).toBe(external('conv%3A1').path);
  });
});

describe('key scopes', () => {
  it("are a person's own, and a bot's company's (whichever of its API keys)", () => {
    const user = { kind: 'user', role: 'company_admin', userId: 'u1', companyId: 'c1' } as const;
    expect(idempotencyScope(user)).toBe('user:u1');
    const bot = { kind: 'bot', role: 'bot', companyId: 'c1', apiKeyId: 'k1' } as const;
    expect(idempotencyScope(bot)).toBe('company:c1');
    expect(idempotencyScope({ ...bot, apiKeyId: 'k2' })).toBe('company:c1');
  });
});
