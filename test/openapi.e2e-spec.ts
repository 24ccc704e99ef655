/*
 * The OpenAPI document /docs-json serves: Redocly's linter (recommended rules, plus ours in
 * redocly.yaml) passes on it, and it says for every route what the guards and pipes enforce.
 * Every leaf of a request or 2xx body has an example, integers are `integer` and instants
 * `date-time` (the 'bodies' tests). Its truth against real answers is checked by every e2e
 * file: test/support/test-app.ts validates each response the suite receives against this
 * document (test/support/openapi-validator.ts); the last tests here show that validator can fail.
 *
 * OPENAPI_KEEP=<path> keeps a copy of the document (to read it, or to run `redocly lint` by hand).
 */
import { getMetadataStorage } from 'class-validator';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * Writes that take no Idempotency-Key, each with why: sent twice, the second does the same
 * thing or answers the same way, so a retry after a lost answer needs no key; or a replay would
 * hand back something stale. Every other write (one that creates something, or a state change
 * whose repeat is refused with a 404 or 409) declares it (ADR 0009).
 */
const REPEATS_ALIKE: Record<string, string> = {
  'POST /v1/auth/register':
    'public (no caller to keep a key for): a repeat is refused, EMAIL_TAKEN, and the user signs in',
  'POST /v1/auth/login': 'public: a repeat is another session, the lost one expires unused',
  'POST /v1/auth/refresh': "public: the token's own rotation and reuse rules decide (ADR 0003)",
  'POST /v1/auth/logout': 'a repeat ends the same (ended) session: 204 again',
  'POST /v1/auth/session/register': 'public, as /v1/auth/register',
  'POST /v1/auth/session/login': 'public, as /v1/auth/login',
  'POST /v1/auth/session/refresh': 'public, as /v1/auth/refresh',
  'POST /v1/auth/session/logout': 'as /v1/auth/logout',
  'POST /v1/auth/password':
    "its body holds passwords, which a key's stored request fingerprint would keep a digest of; a repeat is refused (currentPassword no longer matches) and the client signs in with the new one",
  'POST /v1/auth/reauthenticate':
    'its body holds a password, as /v1/auth/password; a repeat issues another token of the login, and the first one used revokes the rest',
  'POST /v1/auth/session/reauthenticate': 'as /v1/auth/reauthenticate',
  'POST /v1/stripe/webhooks': "public: Stripe's event id is the key (processed once)",
  'POST /v1/stripe/connect-webhooks': "public: Stripe's event id is the key (processed once)",
  'PATCH /v1/companies/me': 'sets the fields given: the same again',
  'PUT /v1/agents/me/profile': 'replaces: the same again',
  'PATCH /v1/agents/me/profile': 'sets the fields given: the same again',
  'PUT /v1/agents/me/skills': 'replaces: the same again',
  'PUT /v1/agents/me/availability': 'sets: the same again',
  'PATCH /v1/shifts/{id}': 'sets the fields given: the same again',
  'PUT /v1/companies/me/webhook': 'sets the URL: the same again',
  'PUT /v1/companies/{companyId}/credit/limit': 'sets the limit: the same again',
  'PUT /v1/tickets/{id}/review': 'sets the review: the same again',
  'DELETE /v1/companies/me/api-keys/{id}': 'a revoked key is revoked again: 204 again',
  'POST /v1/tickets/{id}/heartbeat': 'a presence mark: the same again',
  'POST /v1/agents/me/payout-account':
    'a single-use Stripe link: a replay would hand back a used one; one account per agent (ADR 0009)',
  'POST /v1/companies/me/webhook/rotate-secret':
    'a replacement: the newest answer holds the current secret, a replay could hand back an older one (ADR 0009)',
  'POST /v1/ledger/integrity/book-missing':
    'books by ledger keys: a repeat finds nothing left to book',
  'POST /v1/admin/queue-dashboard/session': 'another short dashboard session; the lost one expires',
  'DELETE /v1/admin/queue-dashboard/session': 'ends the same session: the same again',
};

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
  parameters?: { name?: string; in?: string; $ref?: string; schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses: Record<string, { $ref?: string; content?: Record<string, { schema?: Schema }> }>;
}

interface Schema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  allOf?: Schema[];
  oneOf?: Schema[];
  example?: unknown;
  examples?: unknown;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  required?: string[];
}

/** A property of a schema that a request body or a 2xx JSON answer uses. */
interface BodyProperty {
  /** `SchemaName.property`, or `METHOD /path status.property` for an inline schema. */
  at: string;
  schema: Schema;
}

/** The schema without its `null` alternative (OpenAPI 3.1's nullable) and, for an array, its items. */
function valueSchema(schema: Schema): Schema {
  const alternatives = (schema.anyOf ?? []).filter((s) => s.type !== 'null');
  const bare = schema.anyOf && alternatives.length === 1 ? alternatives[0] : schema;
  return [bare.type].flat().includes('array') && bare.items ? valueSchema(bare.items) : bare;
}

/** Nothing under it to describe: a scalar, an enum, a free-form object, or an array of those. */
const isLeaf = (schema: Schema) => {
  const value = valueSchema(schema);
  return !value.$ref && !value.properties && !value.allOf && !value.anyOf && !value.oneOf;
};

const typesOf = (schema: Schema): string[] => {
  const value = valueSchema(schema);
  return [value.type ?? [], ...(value.anyOf ?? []).map((s) => s.type ?? [])].flat();
};

/**
 * Instants by name: `…At`, `…Deadline`, a transcript message's `at`, a payout run's `cutoff`, a
 * statement's `from` and `to`. The test holds both ways: every such property is a date-time and
 * every date-time is so named, so a new instant cannot slip by under another name.
 */
const INSTANT_NAME = /(At|Deadline)$|^(at|cutoff|from|to)$/;

/** The only numbers that are not integers. Any other `number` fails the test. */
/** Numbers that are fractions (and any property named `…Quality`: a 0–1 score). */
const FRACTIONS = new Set([
  'ReliabilityDto.score',
  'ReliabilityDto.raw',
  'ReliabilityDto.platformMean',
  'HandoffTroubleDto.share',
  'ReopenRateDto.rate',
  'CompanyQualityDto.score',
  'QualityInputDto.value',
  'QualityScoreDto.platformMean',
  'QualityScoreDto.sum',
  'QualityScoreDto.score',
  'ExpectedHourlyDto.resolutionsPerAgentHour',
  'ExpectedHourlyDto.agentHours',
]);

/**
 * `Class.property` → the names of the class-validator checks on it (`isInt`, `isInstant`…), own
 * and inherited, for every class the *.dto.ts files export. A class's name is its schema's.
 */
async function validatorsOfDtos(): Promise<Map<string, Set<string>>> {
  const found = new Map<string, Set<string>>();
  const files = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' });
  for (const file of files.filter((f) => f.endsWith('.dto.ts'))) {
    const exports = (await import(join(ROOT, 'src', file))) as Record<string, unknown>;
    for (const value of Object.values(exports)) {
      if (typeof value !== 'function') continue;
      const target = value as new () => object;
      for (const m of getMetadataStorage().getTargetValidationMetadatas(target, '', true, false)) {
        const key = `${target.name}.${m.propertyName}`;
        found.set(key, (found.get(key) ?? new Set()).add(m.name ?? m.type));
      }
    }
  }
  return found;
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

  it('declares Idempotency-Key on every write but those whose repeat does the same again', () => {
    const keyed = ([, op]: [string, Operation]) =>
      (op.parameters ?? []).some((p) => /IdempotencyKey/.test(p.$ref ?? ''));
    const writes = operations.filter(([key]) => /^(POST|DELETE|PUT|PATCH) \/v1\//.test(key));
    const unkeyed = writes.filter((o) => !keyed(o)).map(([key]) => key);
    expect(unkeyed.filter((key) => !(key in REPEATS_ALIKE))).toEqual([]);
    // Each exemption names a route that still exists and still takes no key.
    expect(Object.keys(REPEATS_ALIKE).filter((key) => !unkeyed.includes(key))).toEqual([]);
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

  describe('bodies: examples, integers and instants', () => {
    const bodies: BodyProperty[] = [];
    const everywhere: BodyProperty[] = [];
    const queries: BodyProperty[] = [];
    let validators: Map<string, Set<string>>;
    /** Whether class-validator checks `Class.property` with `validator`. */
    const checks = (at: string, validator: string) => validators.get(at)?.has(validator) ?? false;

    beforeAll(async () => {
      validators = await validatorsOfDtos();
      const schemas = doc.components.schemas as Record<string, Schema>;
      const seen = new Set<string>();
      const visit = (node: Schema | undefined, at: string): void => {
        if (!node) return;
        if (node.$ref) {
          const name = node.$ref.split('/').pop()!;
          if (seen.has(name)) return;
          seen.add(name);
          visit(schemas[name], name);
          return;
        }
        [node.items, ...(node.anyOf ?? []), ...(node.allOf ?? []), ...(node.oneOf ?? [])].forEach(
          (sub) => visit(sub, at),
        );
        for (const [name, property] of Object.entries(node.properties ?? {})) {
          bodies.push({ at: `${at}.${name}`, schema: property });
          visit(property, `${at}.${name}`);
        }
      };
      for (const [key, op] of operations) {
        visit(op.requestBody?.content?.['application/json']?.schema, `${key} body`);
        for (const [status, response] of Object.entries(op.responses)) {
          if (status.startsWith('2')) {
            visit(response.content?.['application/json']?.schema, `${key} ${status}`);
          }
        }
        for (const p of op.parameters ?? []) {
          if (p.in === 'query' && p.schema)
            queries.push({ at: `${key} ?${p.name}`, schema: p.schema });
        }
      }
      for (const [name, schema] of Object.entries(schemas)) {
        for (const [property, s] of Object.entries(schema.properties ?? {})) {
          everywhere.push({ at: `${name}.${property}`, schema: s });
        }
      }
    });

    const nameOf = (p: BodyProperty) => p.at.split(/[.?]/).pop()!;

    it('gives every leaf property of a request body or a 2xx JSON answer an example', () => {
      const leaves = bodies.filter((p) => isLeaf(p.schema));
      process.stdout.write(`body schemas: ${leaves.length} leaf properties\n`);
      expect(leaves.length).toBeGreaterThan(400);
      const bare = leaves.filter((p) => !('example' in p.schema) && !('examples' in p.schema));
      expect(bare.map((p) => p.at)).toEqual([]);
    });

    it('documents every property a request DTO validates (the plugin drops one it cannot read)', () => {
      // e.g. `@Min(-10_000_000)`: the plugin failed on the negative literal and left
      // CreateAdjustmentDto.amountMinor out of the document altogether.
      const schemas = doc.components.schemas as Record<string, Schema>;
      const missing = [...validators.keys()].filter((at) => {
        const [name, property] = at.split('.');
        return schemas[name] && !schemas[name].properties?.[property];
      });
      expect(missing).toEqual([]);
    });

    it('documents as integer every @IsInt property, every *Minor amount, every number but fractions', () => {
      expect(checks('CreateShiftDto.seats', 'isInt')).toBe(true); // the lookup itself works
      const wrong = everywhere.filter((p) => {
        const types = typesOf(p.schema);
        const integer =
          checks(p.at, 'isInt') ||
          nameOf(p).endsWith('Minor') ||
          (types.includes('number') && !FRACTIONS.has(p.at) && !/(^q|Q)uality$/.test(nameOf(p)));
        return integer && (!types.includes('integer') || types.includes('number'));
      });
      // Query DTOs have no component schema: a query parameter is checked by its name.
      const intNames = [...validators]
        .filter(([, v]) => v.has('isInt'))
        .map(([at]) => at.split('.')[1]);
      const wrongQueries = queries.filter((p) => {
        const types = typesOf(p.schema);
        return (
          (intNames.includes(nameOf(p)) || types.includes('number')) && !types.includes('integer')
        );
      });
      expect(
        [...wrong, ...wrongQueries].map((p) => `${p.at}: ${typesOf(p.schema).join()}`),
      ).toEqual([]);
    });

    it('documents every instant as a date-time, and names every date-time as an instant', () => {
      expect(checks('StatementQueryDto.from', 'isInstant')).toBe(true);
      const all = [...everywhere, ...queries];
      const undated = all.filter(
        (p) =>
          (INSTANT_NAME.test(nameOf(p)) || checks(p.at, 'isInstant')) &&
          valueSchema(p.schema).format !== 'date-time',
      );
      expect(undated.map((p) => p.at)).toEqual([]);
      const misnamed = all.filter(
        (p) => valueSchema(p.schema).format === 'date-time' && !INSTANT_NAME.test(nameOf(p)),
      );
      expect(misnamed.map((p) => p.at)).toEqual([]);
    });

    it('documents the most items of every list a request DTO caps (@ArrayMaxSize)', () => {
      // The plugin reads the cap only from a decorator on the property itself, not from one
      // inside a composed decorator (IsNestedObjects keeps it out for that reason).
      const schemas = doc.components.schemas as Record<string, Schema>;
      const capped = [...validators].filter(([, v]) => v.has('arrayMaxSize')).map(([at]) => at);
      expect(capped).toContain('CreateEscalationDto.transcript');
      const undocumented = capped.filter((at) => {
        const [name, property] = at.split('.');
        const schema = schemas[name]?.properties?.[property];
        if (!schema) return false; // a query DTO: no component schema
        const list = (schema.anyOf ?? [schema]).find((s) => [s.type].flat().includes('array'));
        return list?.maxItems === undefined;
      });
      expect(undocumented).toEqual([]);
    });

    it('documents the lengths of every plain-text property (@IsPlainText)', () => {
      const schemas = doc.components.schemas as Record<string, Schema>;
      const plain = [...validators].filter(([, v]) => v.has('isPlainText')).map(([at]) => at);
      expect(plain).toEqual(expect.arrayContaining(['CreateEscalationDto.subject']));
      const undocumented = plain.filter((at) => {
        const [name, property] = at.split('.');
        const schema = schemas[name]?.properties?.[property];
        if (!schema || [schema.type].flat().includes('array')) return false;
        return schema.minLength !== 1 || schema.maxLength === undefined;
      });
      expect(undocumented).toEqual([]);
      expect(schemas.CreateEscalationDto.properties!.subject).toMatchObject({ maxLength: 300 });
      expect(schemas.CreateEscalationDto.required).not.toContain('customerRef');
    });

    it('keeps null where an instant may be null (nullable stays nullable)', () => {
      const schemas = doc.components.schemas as Record<string, Schema>;
      expect(schemas.ShiftDto.properties!.cancelledAt).toMatchObject({
        type: ['string', 'null'],
        format: 'date-time',
      });
      expect(schemas.PayoutLineDto.properties!.transferMinor.type).toEqual(['integer', 'null']);
    });
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

    it('fails a fraction where the document says integer and a non-instant where date-time', () => {
      const validator = new ResponseValidator(doc);
      const place = {
        shiftId: '5b0e6c1f-8a2d-4c3b-9e7f-1a2b3c4d5e6f',
        closesAt: '2030-05-02T17:50:00.000Z',
      };
      expect(
        validator.checkSchema('WaitlistPositionDto', {
          ...place,
          position: 2,
          joinedAt: '2030-04-30T10:15:00.000Z',
        }),
      ).toEqual([]);
      expect(
        validator
          .checkSchema('WaitlistPositionDto', {
            ...place,
            position: 1.5,
            joinedAt: '30/04/2030 10:15',
          })
          .join(),
      ).toMatch(/position must be integer.*joinedAt must match format "date-time"/);
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
        surge: null,
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
