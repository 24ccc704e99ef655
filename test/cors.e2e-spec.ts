import { registerCompany, SignedIn } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

const ALLOWED = 'https://app.example.com';
const OTHER = 'https://evil.example.net';

describe('CORS', () => {
  describe('by default (CORS_ORIGINS unset)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    });
    afterAll(() => t.close());

    it('allows no browser origin: no CORS headers on a preflight or an answer', async () => {
      const preflight = await t.http
        .options('/v1/shifts')
        .set('Origin', ALLOWED)
        .set('Access-Control-Request-Method', 'POST');
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      const answer = await t.http.get('/health').set('Origin', ALLOWED);
      expect(answer.status).toBe(200);
      expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('with CORS_ORIGINS', () => {
    let t: TestApp;
    let company: SignedIn;
    beforeAll(async () => {
      t = await createTestApp({ env: { CORS_ORIGINS: `${ALLOWED}, https://admin.example.com/` } });
      company = await registerCompany(t);
    });
    afterAll(() => t.close());

    it('answers a listed origin’s preflight with the methods and headers a browser client sends', async () => {
      const res = await t.http
        .options('/v1/shifts')
        .set('Origin', ALLOWED)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization, content-type, idempotency-key');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(res.headers['access-control-allow-methods']).toContain('POST');
      const headers = res.headers['access-control-allow-headers']
        .toLowerCase()
        .split(',')
        .map((h: string) => h.trim()); // a list may have spaces after its commas
      expect(headers).toEqual(
        expect.arrayContaining([
          'authorization',
          'content-type',
          'idempotency-key',
          'x-request-id',
        ]),
      );
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      expect(res.headers.vary).toContain('Origin');
    });

    it('lets the listed origin read an answer and its request id, and any listed origin (trailing slash, case)', async () => {
      const res = await t.http.get('/v1/me').set(company.auth).set('Origin', ALLOWED).expect(200);
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(res.headers['access-control-expose-headers']).toContain('X-Request-Id');
      const second = await t.http
        .get('/v1/me')
        .set(company.auth)
        .set('Origin', 'https://ADMIN.example.com')
        .expect(200);
      expect(second.headers['access-control-allow-origin']).toBe('https://ADMIN.example.com');
    });

    it('gives an origin not on the list no CORS headers (the browser withholds the answer)', async () => {
      const preflight = await t.http
        .options('/v1/shifts')
        .set('Origin', OTHER)
        .set('Access-Control-Request-Method', 'POST');
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      const res = await t.http.get('/v1/me').set(company.auth).set('Origin', OTHER).expect(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});
