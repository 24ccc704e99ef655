import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import jwt from 'jsonwebtoken';
import Stripe from 'stripe';
import type { Response } from 'supertest';
import { Role } from '../src/common/auth/actor';
import { STRIPE_SETTINGS, StripeSettings } from '../src/modules/stripe/stripe.module';
import {
  createApiKey,
  createStaff,
  PASSWORD,
  registerAgent,
  registerCompany,
  rowCounts,
  SignedIn,
} from './support/factories';
import { waitFor } from './support/wait-for';
import { concretePath, listRoutes, RouteInfo } from './support/routes';
import { escalationBody } from './support/tickets';
import { createTestApp, TEST_JWT_SECRET, TestApp } from './support/test-app';
import { capturingLogger, LogLine } from './support/logs';
import { cspDirective } from './support/csp';

/** An app whose log lines are captured, so a test can prove a bad input logged no error. */
async function loggedApp(env: Record<string, string> = {}) {
  const lines: LogLine[] = [];
  const t = await createTestApp({ logger: capturingLogger(lines, 'info', 'api'), env });
  return { t, lines };
}

/** A refusal in the one error shape, with the status and code expected. */
function expectRefused(res: Response, status: number, code: string, fields?: string[]) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(Object.keys(res.body).sort()).toEqual(['error']);
  expect(Object.keys(res.body.error).sort()).toEqual(['code', 'details', 'message', 'requestId']);
  expect(res.body.error).toMatchObject({
    message: expect.any(String),
    requestId: res.headers['x-request-id'],
  });
  if (fields) {
    expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual(fields);
  }
}

const nested = (depth: number, leaf = '1') => '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);

describe('hardening (security test findings, issue 11)', () => {
  let t: TestApp;
  let lines: LogLine[];
  let server: Server;
  /** Where the current test's log lines start. */
  let mark = 0;
  const errorLines = () => lines.slice(mark).filter((l) => l.level >= 50);

  beforeAll(async () => {
    ({ t, lines } = await loggedApp());
    // A real port, for the raw-socket test; supertest reuses a listening server.
    server = t.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(() => {
    mark = lines.length;
  });
  afterEach(() => {
    // Every bad input below is the caller's mistake: none may log at error level.
    expect(errorLines()).toEqual([]);
  });

  const postJson = (path: string, raw: string | Buffer) =>
    t.http.post(path).set('Content-Type', 'application/json').send(raw);

  describe('10. deeply nested JSON', () => {
    it('refuses a body nested 3,000 levels deep with 400 naming (body), before any login', async () => {
      const res = await postJson('/v1/auth/login', nested(3000));
      expectRefused(res, 400, 'VALIDATION_FAILED', ['(body)']);
    });

    it('refuses much deeper nesting (objects and arrays) the same way', async () => {
      const arrays = `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
      for (const raw of [nested(40_000), arrays, nested(33)]) {
        const res = await postJson('/v1/auth/login', raw);
        expectRefused(res, 400, 'VALIDATION_FAILED', ['(body)']);
      }
    });

    it('accepts nesting up to the cap (32 levels), so the cap only stops abuse', async () => {
      const company = await registerCompany(t);
      const key = await createApiKey(t, company);
      // The body is level 1 and metadata's object level 2, so 31 nested objects reach 32.
      const metadata = JSON.parse(nested(31));
      const res = await t.http
        .post('/v1/escalations')
        .set('Authorization', `Bearer ${key}`)
        .send(escalationBody({ metadata }));
      expect(res.status).toBe(201);
    });
  });

  describe('11. compressed bodies', () => {
    const login = JSON.stringify({ email: 'nobody@example.test', password: PASSWORD });
    const send = (encoding: string, body: Buffer | string) =>
      t.http
        .post('/v1/auth/login')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', encoding)
        // As is: superagent would otherwise JSON-encode a Buffer sent as application/json.
        .serialize((raw: Buffer) => raw as unknown as string)
        .send(Buffer.from(body));

    it('refuses a corrupt gzip, deflate or brotli body with 400', async () => {
      const garbage = Buffer.from('this is not compressed at all, just bytes \x01\x02\x03');
      for (const encoding of ['gzip', 'deflate', 'br']) {
        const res = await send(encoding, garbage);
        expect({ encoding, status: res.status }).toEqual({ encoding, status: 400 });
        expectRefused(res, 400, 'MALFORMED_JSON');
      }
      // Cut short: valid gzip up to where it stops.
      expectRefused(await send('gzip', gzipSync(login).subarray(0, 12)), 400, 'MALFORMED_JSON');
    });

    it('refuses Content-Encoding: br on plain JSON with 400', async () => {
      expectRefused(await send('br', login), 400, 'MALFORMED_JSON');
    });

    it('accepts gzip, deflate and brotli bodies that are what they say', async () => {
      for (const [encoding, body] of [
        ['gzip', gzipSync(login)],
        ['deflate', deflateSync(login)],
        ['br', brotliCompressSync(login)],
        ['GZip', gzipSync(login)],
        ['identity', Buffer.from(login)],
      ] as const) {
        const res = await send(encoding, body);
        // Parsed and checked: an unknown email, not a body problem.
        expect({ encoding, code: res.body.error?.code }).toEqual({
          encoding,
          code: 'INVALID_CREDENTIALS',
        });
      }
    });

    it('refuses other encodings with 415', async () => {
      for (const encoding of ['zstd', 'compress', 'gzip, gzip', 'x-unknown']) {
        const res = await send(encoding, login);
        expect({ encoding, status: res.status }).toEqual({ encoding, status: 415 });
        expectRefused(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
      }
    });

    it('applies the body limit to the decompressed size (no zip bombs)', async () => {
      const bomb = gzipSync(`{"email":"${' '.repeat(20 * 1024 * 1024)}"}`);
      expect(bomb.length).toBeLessThan(256 * 1024);
      expectRefused(await send('gzip', bomb), 413, 'PAYLOAD_TOO_LARGE');
    });

    it('survives a bomb cut short: its error after the 413 is not thrown out of the process', async () => {
      // Its end missing, the decoder fails once the body ends, after the limit had stopped the
      // parser listening to it: nothing handled the error, and the API process exited.
      const whole = gzipSync(' '.repeat(2 * 1024 * 1024));
      const cut = whole.subarray(0, whole.length - 8);
      expectRefused(await send('gzip', cut), 413, 'PAYLOAD_TOO_LARGE');
      await new Promise((r) => setTimeout(r, 200));
      await t.http.get('/health').expect(200);
    });
  });

  describe('12. NUL characters', () => {
    it('refuses a NUL in a JSON key, naming the field path', async () => {
      const company = await registerCompany(t);
      const key = await createApiKey(t, company);
      const before = await rowCounts(t);
      const body = JSON.stringify(escalationBody({ metadata: { '\u0000': 'x', 'ok\u0000': 1 } }));
      const res = await t.http
        .post('/v1/escalations')
        .set('Authorization', `Bearer ${key}`)
        .set('Content-Type', 'application/json')
        .send(body);
      expectRefused(res, 400, 'VALIDATION_FAILED', ['metadata.\\u0000', 'metadata.ok\\u0000']);
      expect(await rowCounts(t)).toEqual(before);
    });

    it('takes a message cut in the middle of an emoji, half a character mended as U+FFFD', async () => {
      const company = await registerCompany(t);
      const key = await createApiKey(t, company);
      const cut = 'Thanks \ud83d'; // "😀" sliced in two by the bot
      const res = await t.http
        .post('/v1/escalations')
        .set('Authorization', `Bearer ${key}`)
        .send(escalationBody({ subject: cut, metadata: { note: cut, list: [cut] } }))
        .expect(201);
      expect(res.body.subject).toBe('Thanks \ufffd');
      const [row]: { metadata: unknown }[] = await t.db.query(
        'SELECT metadata FROM tickets WHERE id = $1',
        [res.body.id],
      );
      expect(row.metadata).toEqual({ note: 'Thanks \ufffd', list: ['Thanks \ufffd'] });
    });

    it('refuses a NUL in the path with 400 naming "path", signed in or not', async () => {
      const admin = await createStaff(t, 'admin');
      expectRefused(
        await t.http.delete('/v1/skills/%00').set(admin.auth),
        400,
        'VALIDATION_FAILED',
        ['path'],
      );
      expectRefused(await t.http.delete('/v1/skills/a%00b'), 400, 'VALIDATION_FAILED', ['path']);
      expectRefused(await t.http.get('/v1/nothing/%00'), 400, 'VALIDATION_FAILED', ['path']);
    });

    it('refuses a NUL in a query parameter (name or value), naming it, signed in or not', async () => {
      const agent = await registerAgent(t);
      const res = await t.http.get('/v1/skills?limit=5&search=a%00b').set(agent.auth);
      expectRefused(res, 400, 'VALIDATION_FAILED', ['search']);
      const named = await t.http.get('/v1/me?x%00y=1');
      expectRefused(named, 400, 'VALIDATION_FAILED', ['x\\u0000y']);
    });

    it('refuses a malformed escape in the path with 400 naming "path"', async () => {
      const admin = await createStaff(t, 'admin');
      for (const path of ['/v1/skills/%E0%A4%A', '/v1/skills/%C0%80', '/v1/skills/%FF']) {
        expectRefused(await t.http.delete(path).set(admin.auth), 400, 'VALIDATION_FAILED', [
          'path',
        ]);
      }
    });

    it('still serves a path with an encoded character that is not NUL', async () => {
      const admin = await createStaff(t, 'admin');
      const res = await t.http.delete('/v1/skills/no%20such%25skill').set(admin.auth);
      expect(res.status).toBe(404);
    });
  });

  describe('13. access tokens', () => {
    const users = {} as Record<Exclude<Role, 'bot'>, SignedIn>;
    let routes: RouteInfo[];
    beforeAll(async () => {
      users.agent = await registerAgent(t);
      users.company_admin = await registerCompany(t);
      users.finance = await createStaff(t, 'finance');
      users.admin = await createStaff(t, 'admin');
      routes = listRoutes(t.app).filter((r) => !r.isPublic);
    });

    const sign = (claims: object, options: jwt.SignOptions = { expiresIn: 900 }) =>
      jwt.sign(claims, TEST_JWT_SECRET, { algorithm: 'HS256', ...options });
    /** A role the route lets in (so only the token's own flaw can refuse it). */
    const roleFor = (route: RouteInfo) =>
      (route.roles?.find((r) => r !== 'bot') ?? 'agent') as Exclude<Role, 'bot'>;
    const claimsOf = (role: Exclude<Role, 'bot'>) => ({
      sub: users[role].id,
      role,
      cid: users[role].companyId,
    });
    const call = (route: RouteInfo, token: string) => {
      const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
      const req = t.http[method](concretePath(route.path)).set('Authorization', `Bearer ${token}`);
      return ['post', 'put', 'patch'].includes(method) ? req.send({}) : req;
    };
    const outcomes = async (tokenFor: (route: RouteInfo) => string) => {
      const out: string[] = [];
      for (const route of routes) {
        const res = await call(route, tokenFor(route));
        out.push(`${route.key}: ${res.status} ${res.body.error?.code ?? ''}`);
      }
      return out;
    };
    const all = (status: number, code: string, only = routes) =>
      only.map((r) => `${r.key}: ${status} ${code}`);

    it('refuses a token without exp on every route with 401', async () => {
      const out = await outcomes((route) => sign(claimsOf(roleFor(route)), {}));
      expect(out).toEqual(all(401, 'UNAUTHENTICATED'));
    });

    it('refuses a token that lives far longer than the access-token TTL on every route', async () => {
      const exp = Math.floor(Date.now() / 1000) + 100 * 365 * 24 * 3600;
      const out = await outcomes((route) => sign({ ...claimsOf(roleFor(route)), exp }, {}));
      expect(out).toEqual(all(401, 'UNAUTHENTICATED'));
    });

    it.each([
      ['a non-UUID sub', { sub: 'not-a-uuid' }],
      ['a numeric sub', { sub: 42 }],
      ['no sub', { sub: undefined }],
      ['a non-UUID cid', { cid: 'acme' }],
    ])('refuses a token with %s on every route with 401', async (_name, override) => {
      const out = await outcomes((route) => sign({ ...claimsOf(roleFor(route)), ...override }));
      expect(out).toEqual(all(401, 'UNAUTHENTICATED'));
    });

    it('refuses a token for a user that does not exist on /v1/me and every staff route', async () => {
      const staffOnly = routes.filter(
        (r) => r.roles?.length && r.roles.every((role) => role === 'finance' || role === 'admin'),
      );
      expect(staffOnly.length).toBeGreaterThan(5);
      for (const role of ['finance', 'admin', 'agent'] as const) {
        const ghost = { sub: crypto.randomUUID(), role, cid: null };
        const out: string[] = [];
        for (const route of staffOnly) {
          const claims = role === 'agent' ? ghost : { ...ghost, role: roleFor(route) };
          const res = await call(route, sign(claims));
          out.push(`${route.key}: ${res.status} ${res.body.error?.code ?? ''}`);
        }
        expect(out).toEqual(all(401, 'UNAUTHENTICATED', staffOnly));
        const me = await t.http
          .get('/v1/me')
          .set('Authorization', `Bearer ${sign(ghost)}`)
          .expect(401);
        expectRefused(me, 401, 'UNAUTHENTICATED');
      }
    });

    it('refuses a staff token whose user no longer holds the role with 403', async () => {
      const finance = await createStaff(t, 'finance');
      await t.http.get('/v1/payout-runs').set(finance.auth).expect(200);
      await t.db.query(`UPDATE users SET role = 'agent' WHERE id = $1`, [finance.id]);
      const res = await t.http.get('/v1/payout-runs').set(finance.auth);
      expectRefused(res, 403, 'FORBIDDEN');
    });

    it('answers a gone user anywhere with a 4xx, never a 5xx', async () => {
      const out: string[] = [];
      // A valid token opens the event stream, which stays open (200, then events): no 5xx to
      // find there, and test/event-stream.e2e-spec.ts covers who may open it.
      for (const route of routes.filter((r) => r.key !== 'GET /v1/events/stream')) {
        const role = roleFor(route);
        const ghost = {
          sub: crypto.randomUUID(),
          role,
          cid: role === 'company_admin' ? crypto.randomUUID() : null,
        };
        const res = await call(route, sign(ghost));
        if (res.status >= 500) out.push(`${route.key}: ${res.status}`);
      }
      expect(out).toEqual([]);
    });

    it('keeps other routes stateless: a valid token for a gone agent still reads its own lists', async () => {
      const ghost = sign({ sub: crypto.randomUUID(), role: 'agent', cid: null });
      await t.http.get('/v1/skills').set('Authorization', `Bearer ${ghost}`).expect(200);
    });
  });

  describe('14. Stripe webhooks', () => {
    let settings: StripeSettings;
    beforeAll(() => {
      settings = t.app.get<StripeSettings>(STRIPE_SETTINGS);
    });
    const now = () => Math.floor(Date.now() / 1000);
    const event = (overrides: Record<string, unknown> = {}) => ({
      id: `evt_${Math.random().toString(36).slice(2)}`,
      object: 'event',
      type: 'account.updated',
      created: now(),
      account: 'acct_hardening',
      data: { object: { id: 'acct_hardening', object: 'account' } },
      ...overrides,
    });
    const send = (body: object, timestamp?: number) => {
      const payload = JSON.stringify(body);
      const header = Stripe.webhooks.generateTestHeaderString({
        payload,
        secret: settings.connectWebhookSecret,
        timestamp,
      });
      return t.http
        .post('/v1/stripe/connect-webhooks')
        .set('Content-Type', 'application/json')
        .set('Stripe-Signature', header)
        .send(payload);
    };
    const stored = async () =>
      (await t.db.query('SELECT count(*)::int AS n FROM stripe_events'))[0].n as number;

    it.each([
      ['a non-numeric created', { created: 'yesterday' }, 'created'],
      ['created 1e20', { created: 1e20 }, 'created'],
      ['a fractional created', { created: 1700000000.5 }, 'created'],
      ['a negative created', { created: -1 }, 'created'],
      ['no id', { id: undefined }, 'id'],
      ['an empty id', { id: '' }, 'id'],
      ['a numeric id', { id: 12345 }, 'id'],
      ['an overlong id', { id: `evt_${'x'.repeat(300)}` }, 'id'],
      ['no type', { type: undefined }, 'type'],
      ['a non-string type', { type: { a: 1 } }, 'type'],
      ['a non-string account', { account: 42 }, 'account'],
    ])('refuses a signed event with %s (400 naming the field)', async (_n, override, field) => {
      const before = await stored();
      const res = await send(event(override));
      expectRefused(res, 400, 'VALIDATION_FAILED', [field]);
      expect(await stored()).toBe(before);
    });

    it('refuses a signature timestamped beyond the tolerance in the future', async () => {
      const before = await stored();
      for (const ahead of [365 * 24 * 3600, 301 + 5]) {
        expectRefused(await send(event(), now() + ahead), 400, 'VALIDATION_FAILED');
      }
      expect(await stored()).toBe(before);
    });

    it('still accepts a well-formed event, and a little clock skew either way', async () => {
      for (const skew of [0, 120, -120]) {
        const res = await send(event(), now() + skew);
        expect({ skew, status: res.status }).toEqual({ skew, status: 200 });
      }
    });
  });

  describe('15. a client that drops the connection mid-body', () => {
    it('is logged at info, not as our error', async () => {
      const { port } = server.address() as AddressInfo;
      const id = `abort-test-${Date.now()}`;
      // Resolves once the server has the headers, so the body read has begun when we drop.
      const seen = new Promise<void>((resolve) => {
        const onRequest = (req: { headers: Record<string, unknown> }) => {
          if (req.headers['x-request-id'] !== id) return;
          server.off('request', onRequest);
          resolve();
        };
        server.on('request', onRequest);
      });
      const socket = connect(port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.write(
        'POST /v1/auth/login HTTP/1.1\r\nHost: localhost\r\n' +
          `Content-Type: application/json\r\nContent-Length: 1000\r\nX-Request-Id: ${id}\r\n\r\n` +
          '{"email":"half',
      );
      await seen;
      await new Promise((r) => setImmediate(r));
      socket.destroy();
      const mine = await waitFor(
        async () => lines.find((l) => l.requestId === id || (l.req as { id?: string })?.id === id),
        'a log line about the dropped request',
        10_000,
      );
      expect(mine.level).toBeLessThan(50);
    });
  });

  describe('16. security headers', () => {
    it('sends helmet headers on every kind of response', async () => {
      const agent = await registerAgent(t);
      for (const res of [
        await t.http.get('/health'),
        await t.http.get('/v1/me'),
        await t.http.get('/v1/me').set(agent.auth),
        await t.http.get('/v1/nothing-here'),
        await postJson('/v1/auth/login', '{"bad'),
      ]) {
        expect(res.headers).toMatchObject({
          'content-security-policy': expect.stringContaining("default-src 'self'"),
          'x-content-type-options': 'nosniff',
          'x-frame-options': 'SAMEORIGIN',
          'strict-transport-security': expect.stringContaining('max-age='),
          'referrer-policy': 'no-referrer',
          'cross-origin-opener-policy': 'same-origin',
        });
        expect(res.headers['x-powered-by']).toBeUndefined();
      }
    });

    it('serves the Swagger UI at /docs with every asset its CSP allows', async () => {
      const page = await t.http.get('/docs').redirects(1).expect(200);
      expect(page.text).toContain('swagger-ui');
      const csp = page.headers['content-security-policy'] as string;
      const directive = (name: string) => cspDirective(csp, name);
      // Only same-origin script files, no inline script the CSP would block.
      const scripts = [...page.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length).toBeGreaterThan(0);
      expect(directive('script-src')).toContain("'self'");
      for (const [, attrs, body] of scripts) {
        expect(body.trim()).toBe('');
        const src = /src=["']([^"']+)["']/.exec(attrs)?.[1];
        expect(src).toMatch(/^\.?\/?[\w./-]+$/);
        const asset = await t.http.get(new URL(src!, 'http://x/docs').pathname).expect(200);
        expect(asset.headers['content-type']).toMatch(/javascript/);
      }
      expect(page.text).toMatch(/<style>/);
      expect(directive('style-src')).toContain("'unsafe-inline'");
      const init = await t.http.get('/docs/swagger-ui-init.js').expect(200);
      expect(init.text).toContain('SwaggerUIBundle');
      for (const css of [...page.text.matchAll(/href=["']([^"']+\.css)["']/g)]) {
        await t.http.get(new URL(css[1], 'http://x/docs').pathname).expect(200);
      }
    });
  });
});

describe('API_DOCS=false', () => {
  let t: TestApp;
  let lines: LogLine[];
  beforeAll(async () => {
    ({ t, lines } = await loggedApp({ API_DOCS: 'false' }));
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 404 for /docs, its assets, /docs-json, /docs-yaml and //v1/… (not the console page)', async () => {
    for (const path of [
      // Slashes doubled before the API's path: the router does not route them to /v1.
      '//v1/shifts',
      '///v1/nonexistent',
      '/docs',
      '/docs/',
      '/docs/swagger-ui-init.js',
      '/docs-json',
      '/docs-yaml',
    ]) {
      const res = await t.http.get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expectRefused(res, 404, 'NOT_FOUND');
    }
    await t.http.get('/health').expect(200);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  });
});
