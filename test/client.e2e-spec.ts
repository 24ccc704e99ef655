/*
 * The typed client (src/client): the committed types are what the document a running app
 * serves generates (else `npm run client:generate`), and the client works against that app —
 * bearer credentials, typed answers, typed errors.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError, createHandoffClient, unwrap } from '../src/client/client';
import { CLIENT_TYPES_FILE, renderClientTypes } from '../src/client/render-types';
import { PASSWORD, uniqueEmail } from './support/factories';
import { ensureKilled, runBuilt } from './support/processes';
import { createTestApp, TestApp } from './support/test-app';

const ROOT = join(__dirname, '..');
/** openapi-typescript and prettier run as child processes: seconds each on a busy machine. */
const RENDER_TIMEOUT_MS = 120_000;

/**
 * Null when the committed file is the generated one; otherwise what to do, and where they part
 * (the generated file is left in a temp file for a full diff).
 */
function drift(committed: string, generated: string): string | null {
  if (committed === generated) return null;
  const a = committed.split('\n');
  const b = generated.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const fresh = join(tmpdir(), `handoff-client-api-${process.pid}.ts`);
  writeFileSync(fresh, generated);
  const excerpt = (lines: string[]) =>
    lines.length > i ? lines.slice(i, i + 3).map((l) => `    ${l.trim()}`) : ['    (end of file)'];
  return [
    `${CLIENT_TYPES_FILE} is not what the served OpenAPI document generates: ` +
      'run `npm run client:generate` and commit the result.',
    `First difference at line ${i + 1}; committed:`,
    ...excerpt(a),
    '  generated:',
    ...excerpt(b),
    `Full diff: diff ${CLIENT_TYPES_FILE} ${fresh}`,
  ].join('\n');
}

describe('the typed client', () => {
  let t: TestApp;
  let document: Record<string, unknown>;
  let baseUrl: string;
  /** What the served document generates (the first test's, reused by the second). */
  let generated: string | undefined;
  const generate = () => (generated ??= renderClientTypes(document, ROOT));

  beforeAll(async () => {
    t = await createTestApp();
    document = (await t.http.get('/docs-json').expect(200)).body;
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${port}`;
  });
  afterAll(() => t?.close());

  it(
    `${CLIENT_TYPES_FILE} is what the served document generates`,
    () => {
      const committed = readFileSync(join(ROOT, CLIENT_TYPES_FILE), 'utf8');
      expect(drift(committed, generate())).toBeNull();
    },
    RENDER_TIMEOUT_MS,
  );

  // Its app is built in preview and connects nowhere: a Redis client that dialled (the rate
  // limits' lost the URL's `lazyConnect`) kept it running for good after writing the file.
  it(
    '`npm run client:generate` writes the same file and exits',
    async () => {
      const out = join(tmpdir(), `handoff-generated-${process.pid}.ts`);
      const run = runBuilt('client/generate.js', {}, [out], ROOT);
      let timer: NodeJS.Timeout | undefined;
      try {
        const code = await Promise.race([
          run.exited,
          new Promise((r) => (timer = setTimeout(() => r('still running'), RENDER_TIMEOUT_MS))),
        ]);
        expect({ code, output: run.output() }).toEqual({ code: 0, output: expect.any(String) });
        expect(readFileSync(out, 'utf8')).toBe(generate());
      } finally {
        clearTimeout(timer);
        ensureKilled(run);
      }
    },
    RENDER_TIMEOUT_MS + 30_000,
  );

  it(
    'would fail, naming the command, were the document changed after generating',
    () => {
      // As if a DTO had been added after the last `npm run client:generate`.
      const changed = structuredClone(document) as { components: { schemas: object } };
      changed.components.schemas = {
        ...changed.components.schemas,
        DriftProbeDto: { type: 'object', properties: { exchangeRate: { type: 'number' } } },
      };
      const hint = drift(generate(), renderClientTypes(changed, ROOT));
      expect(hint).toContain('run `npm run client:generate`');
      expect(hint).toMatch(/generated:\n(.*\n)*? {4}exchangeRate\?: number;/);
    },
    RENDER_TIMEOUT_MS,
  );

  it('signs requests with the caller’s credential and types answers and errors', async () => {
    const anonymous = createHandoffClient({ baseUrl });
    const email = uniqueEmail('client');
    const registered = await unwrap(
      anonymous.POST('/v1/auth/register', {
        body: { email, password: PASSWORD, role: 'company_admin', companyName: 'Typed Co' },
      }),
    );
    const admin = createHandoffClient({ baseUrl, token: registered.accessToken });
    expect((await unwrap(admin.GET('/v1/me'))).email).toBe(email);

    const key = await unwrap(
      admin.POST('/v1/companies/me/api-keys', { body: { name: 'typed bot' } }),
    );
    // A credential can be a function, asked before each request (a console refreshing tokens).
    const bot = createHandoffClient({ baseUrl, token: async () => key.key });
    expect((await unwrap(bot.GET('/v1/bot/me'))).companyId).toBe(registered.user.companyId);

    // Without a credential: the documented 401, typed, not an exception.
    const { data, error, response } = await anonymous.GET('/v1/me');
    expect(data).toBeUndefined();
    expect(response.status).toBe(401);
    expect(error?.error.code).toBe('UNAUTHENTICATED');

    const id = randomUUID();
    const failure = await unwrap(admin.GET('/v1/shifts/{id}', { params: { path: { id } } })).catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(ApiError);
    const apiError = failure as ApiError;
    expect({
      status: apiError.status,
      code: apiError.code,
      request: apiError.request,
      hasRequestId: typeof apiError.requestId === 'string' && apiError.requestId.length > 0,
    }).toEqual({
      status: 404,
      code: 'NOT_FOUND',
      request: `GET /v1/shifts/${id}`,
      hasRequestId: true,
    });
  });
});
