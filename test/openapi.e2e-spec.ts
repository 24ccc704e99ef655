/*
 * The OpenAPI document /docs-json serves: Redocly's linter (recommended rules, plus ours in
 * redocly.yaml) passes on it, and it says for every route what the guards and pipes enforce.
 * Its truth against real answers is checked by every e2e file: test/support/test-app.ts
 * validates each response the suite receives against this document
 * (test/support/openapi-validator.ts); the last tests here show that validator can fail.
 *
 * OPENAPI_KEEP=<path> keeps a copy of the document (to read it, or to run `redocly lint` by hand).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Role } from '../src/common/auth/actor';
import { ERROR_STATUS, ErrorCode } from '../src/common/errors/error-code';
import { API_TAGS } from '../src/common/http/openapi';
import { OpenApiDocument, ResponseValidator } from './support/openapi-validator';
import { listRoutes, RouteInfo } from './support/routes';
import { createTestApp, TestApp } from './support/test-app';

const ROOT = join(__dirname, '..');

interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location: { pointer?: string }[];
}

interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name?: string; in?: string; $ref?: string }[];
  responses: Record<string, { $ref?: string; content?: Record<string, { schema?: unknown }> }>;
}

async function redoclyLint(file: string): Promise<{ problems: LintProblem[] }> {
  const bin = join(ROOT, 'node_modules', '.bin', 'redocly');
  const args = ['lint', file, '--format', 'json', '--config', join(ROOT, 'redocly.yaml')];
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
  // It exits 1 when there are errors; the JSON report is on stdout either way.
  const stdout = await promisify(execFile)(bin, args, { env, maxBuffer: 64 << 20 }).then(
    (r) => r.stdout,
    (e: { stdout?: string }) => e.stdout ?? '',
  );
  return JSON.parse(stdout) as { problems: LintProblem[] };
}

const toTemplate = (path: string) => path.replace(/:(\w+)/g, '{$1}');

describe('OpenAPI document (/docs-json)', () => {
  let t: TestApp;
  let doc: OpenApiDocument;
  let dir: string;
  let routes: RouteInfo[];
  const operations: [string, Operation][] = [];

  beforeAll(async () => {
    // A deployment's address: the default (localhost, for a laptop) draws no-server-example.com.
    t = await createTestApp({ env: { PUBLIC_URL: 'https://api.handoff.test' } });
    doc = (await t.http.get('/docs-json').expect(200)).body as OpenApiDocument;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        operations.push([`${method.toUpperCase()} ${path}`, op as Operation]);
      }
    }
    routes = listRoutes(t.app);
    dir = mkdtempSync(join(tmpdir(), 'handoff-openapi-'));
  });
  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await t?.close();
  });

  it('passes redocly lint: no errors, no operation-4xx-response warning', async () => {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc, null, 2));
    if (process.env.OPENAPI_KEEP) copyFileSync(file, process.env.OPENAPI_KEEP);
    const { problems } = await redoclyLint(file);
    const show = (p: LintProblem) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`;
    const warnings = problems.filter((p) => p.severity === 'warn');
    process.stdout.write(
      `redocly lint: ${operations.length} operations, ${warnings.length} warnings\n`,
    );
    expect(problems.filter((p) => p.severity === 'error').map(show)).toEqual([]);
    expect(warnings.filter((p) => p.ruleId === 'operation-4xx-response').map(show)).toEqual([]);
    expect(warnings.map(show)).toEqual([]);
  }, 60_000);

  it('is OpenAPI 3.1 with servers, a licence and a description for every tag', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: t.env.PUBLIC_URL, description: expect.any(String) }]);
    expect(doc.info.license).toEqual({ name: 'Proprietary', identifier: expect.any(String) });
    const used = new Set(operations.flatMap(([, op]) => op.tags ?? []));
    expect([...used].filter((tag) => !API_TAGS[tag])).toEqual([]);
  });

  it('documents every route the app serves, each with a readable unique operationId', () => {
    const documented = new Set(operations.map(([key]) => key));
    const missing = routes
      .map((r) => `${r.method} ${toTemplate(r.path)}`)
      .filter((key) => key.includes(' /v1/') && !documented.has(key));
    expect(missing).toEqual([]);
    // `listShifts`, not `ShiftsController_list`.
    const unreadable = operations.filter(([, op]) => !/^[a-z][A-Za-z0-9]+$/.test(op.operationId!));
    expect(unreadable.map(([key, op]) => `${key}: ${op.operationId}`)).toEqual([]);
    const ids = operations.map(([, op]) => op.operationId);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });

  it("declares each route's security as its @Public and @Roles say (a bot key only with 'bot')", () => {
    const wrong = routes.flatMap((route) => {
      const op = doc.paths[toTemplate(route.path)]?.[route.method.toLowerCase()] as Operation;
      if (!op) return [];
      const roles: Role[] = route.roles ?? ['agent', 'company_admin', 'finance', 'admin'];
      const expected = route.isPublic
        ? []
        : [
            ...(roles.some((r) => r !== 'bot') ? ['user'] : []),
            ...(roles.includes('bot') ? ['bot'] : []),
          ];
      const declared = (op.security ?? [{ missing: [] }]).flatMap((s) => Object.keys(s));
      return declared.join() === expected.join()
        ? []
        : [`${route.key}: ${declared.join()} ≠ ${expected.join()}`];
    });
    expect(wrong).toEqual([]);
  });

  it('documents limit and cursor on every paged list', () => {
    const schemas = doc.components.schemas as Record<string, { properties?: object }>;
    // A paged answer is a schema with a nextCursor (Page<T>, EarningsDto…).
    const paged = operations.filter(([, op]) => {
      const ref = /"\$ref":"#\/components\/schemas\/(\w+)"/.exec(
        JSON.stringify(op.responses['200']),
      );
      return ref !== null && 'nextCursor' in (schemas[ref[1]]?.properties ?? {});
    });
    expect(paged.length).toBeGreaterThanOrEqual(9);
    const lacking = paged.filter(([, op]) => {
      const query = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      return !query.includes('limit') || !query.includes('cursor');
    });
    expect(lacking.map(([key]) => key)).toEqual([]);
  });

  it('gives every operation error responses whose codes are those of their status', () => {
    type Response = Operation['responses'][string];
    const resolve = (r: Response): Response =>
      r.$ref ? (doc.components.responses![r.$ref.split('/').pop()!] as Response) : r;
    const problems: string[] = [];
    for (const [key, op] of operations) {
      const statuses = Object.keys(op.responses).filter((s) => Number(s) >= 400);
      if (!statuses.includes('500')) problems.push(`${key}: no 500`);
      for (const status of statuses) {
        const schema = JSON.stringify(resolve(op.responses[status]).content?.['application/json']);
        const codes = /"enum":(\[[^\]]*\])/.exec(schema ?? '')?.[1];
        if (!codes) {
          problems.push(`${key} ${status}: no code enum`);
          continue;
        }
        const off = (JSON.parse(codes) as ErrorCode[]).filter(
          (c) => `${ERROR_STATUS[c]}` !== status,
        );
        if (off.length > 0) problems.push(`${key} ${status}: ${off.join()}`);
      }
    }
    expect(problems).toEqual([]);
  });

  describe('the response validator the e2e suite runs', () => {
    const validate = (res: { status: number; type?: string; body?: unknown; text?: string }) =>
      new ResponseValidator(doc).check('GET', '/v1/skills', {
        status: res.status,
        headers: { 'content-type': res.type ?? 'application/json; charset=utf-8' },
        body: res.body,
        text: res.text ?? JSON.stringify(res.body),
      });

    it('accepts an answer the document describes', () => {
      expect(validate({ status: 200, body: [{ code: 'a1', name: 'A', retiredAt: null }] })).toEqual(
        [],
      );
    });

    it('fails a body off its schema, an undocumented status, an undeclared code, a wrong type', () => {
      expect(validate({ status: 200, body: [{ code: 'a1', retiredAt: 3 }] }).join()).toMatch(
        /name|retiredAt/,
      );
      expect(validate({ status: 418, body: {} }).join()).toMatch(/418 is not documented/);
      const error = (code: string) => ({
        error: { code, message: 'x', details: null, requestId: 'r' },
      });
      expect(validate({ status: 409, body: error('SHIFT_FULL') }).join()).toMatch(/409/);
      expect(validate({ status: 401, body: error('SHIFT_FULL') }).join()).toMatch(/SHIFT_FULL/);
      expect(validate({ status: 200, type: 'text/html', text: '<p>' }).join()).toMatch(
        /text\/html/,
      );
    });

    it("accepts null where the code answers it, e.g. an unresolved claim's pay", () => {
      const claim = {
        claimId: 'c',
        agentId: 'a',
        displayName: 'Ana',
        status: 'released',
        claimedAt: '2030-05-04T09:00:00.000Z',
        releasedAt: '2030-05-04T09:10:00.000Z',
        releasedBy: 'agent',
        releaseReason: 'Needs a German speaker',
        resolvedAt: null,
        resolutionSummary: null,
        reopenedAt: null,
      };
      const validator = new ResponseValidator(doc);
      expect(validator.checkSchema('TicketClaimView', { ...claim, pay: null })).toEqual([]);
      const pay = { amountMinor: 250, currency: 'EUR' };
      expect(validator.checkSchema('TicketClaimView', { ...claim, pay })).toEqual([]);
      expect(validator.checkSchema('TicketClaimView', { ...claim, pay: 'EUR 2.50' })).not.toEqual(
        [],
      );
    });

    it('fails an undocumented /v1 route answering 2xx, and skips paths outside the document', () => {
      const check = (method: string, url: string, status: number) =>
        new ResponseValidator(doc).check(method, url, {
          status,
          headers: {},
          body: undefined,
          text: '',
        });
      expect(check('GET', '/v1/nowhere', 200).join()).toMatch(/not in the document/);
      expect(check('GET', '/v1/nowhere', 404)).toEqual([]);
      expect(check('GET', '/docs', 200)).toEqual([]);
      expect(check('PATCH', '/v1/skills', 404)).toEqual([]);
    });
  });
});
