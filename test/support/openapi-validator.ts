import Ajv2020, { ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/*
 * Checks an HTTP answer against the OpenAPI document the app serves: the status is one the
 * operation documents, the content type one documented for that status, a JSON body valid
 * against its schema (ajv, JSON Schema 2020-12 as OpenAPI 3.1 says), and an error's `code` one
 * the operation declares for that status. test-app.ts runs it on every response the e2e suite
 * receives through `t.http`.
 */

type Json = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; license?: Json };
  servers?: { url: string; description?: string }[];
  paths: Record<string, Record<string, unknown>>;
  components: { schemas?: Json; responses?: Record<string, Json> };
}

/** The parts of a supertest response the check reads. */
export interface ResponseSample {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  text?: string;
}

interface Response {
  $ref?: string;
  content?: Record<string, { schema?: Json }>;
}

interface Operation {
  operationId?: string;
  responses: Record<string, Response>;
}

interface Route {
  template: string;
  segments: string[];
  params: number;
}

const SCHEMAS_ID = 'openapi.json';
const isJson = (type: string) => type === 'application/json' || type.endsWith('+json');

export class ResponseValidator {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly routes: Route[];
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly doc: OpenApiDocument) {
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: SCHEMAS_ID, $defs: this.rewriteRefs(doc.components.schemas ?? {}) });
    this.routes = Object.keys(doc.paths).map((template) => {
      const segments = template.split('/');
      return { template, segments, params: segments.filter((s) => s.startsWith('{')).length };
    });
  }

  /** The problems with this answer to `method url`; empty when the document describes it. */
  check(method: string, url: string, res: ResponseSample): string[] {
    const path = url.replace(/^https?:\/\/[^/]+/, '').split(/[?#]/)[0];
    // Express answers HEAD on every GET route: the GET's statuses, without a body.
    const asked = method.toLowerCase();
    // A CORS preflight is answered before any route (configure-http-app.ts).
    if (asked === 'options' && !this.hasOperation(path, 'options')) return [];
    const verb = asked === 'head' && !this.hasOperation(path, 'head') ? 'get' : asked;
    const route = this.route(path, verb);
    const operation = route && (this.doc.paths[route.template][verb] as Operation | undefined);
    const where = `${method.toUpperCase()} ${route?.template ?? path} → ${res.status}`;
    if (!operation) {
      // Not a documented route (the docs UI, the dashboard, an unknown path): only a /v1 route
      // answering success is a gap in the document.
      const served = res.status < 300 && /^\/v1(\/|$)/.test(path);
      return served ? [`${where}: this route answers but is not in the document`] : [];
    }
    const response = this.response(operation, res.status);
    if (!response) {
      const documented = Object.keys(operation.responses).join(', ');
      return [`${where}: status ${res.status} is not documented (documented: ${documented})`];
    }
    if (asked === 'head') return [];
    return this.checkContent(route.template, verb, res, response).map((p) => `${where}: ${p}`);
  }

  /** Problems with `value` as an instance of the named component schema (for focused tests). */
  checkSchema(name: string, value: unknown): string[] {
    const validate = this.validator(`schema ${name}`, { $ref: `#/components/schemas/${name}` });
    return validate(value) ? [] : (validate.errors ?? []).map((e) => describe(e, value));
  }

  private hasOperation(path: string, verb: string): boolean {
    const route = this.route(path, verb);
    return route !== undefined && this.doc.paths[route.template][verb] !== undefined;
  }

  private route(path: string, verb: string): Route | undefined {
    const segments = path.split('/');
    const matches = this.routes.filter(
      (r) =>
        r.segments.length === segments.length &&
        r.segments.every((s, i) => s === segments[i] || (s.startsWith('{') && segments[i] !== '')),
    );
    // /v1/shifts/open before /v1/shifts/{id}; a template without this method does not count.
    matches.sort((a, b) => a.params - b.params);
    return matches.find((r) => this.doc.paths[r.template][verb]) ?? matches[0];
  }

  private response(operation: Operation, status: number): Response | undefined {
    const found =
      operation.responses[String(status)] ??
      operation.responses[`${String(status)[0]}XX`] ??
      operation.responses.default;
    if (!found?.$ref) return found;
    return this.doc.components.responses?.[found.$ref.split('/').pop()!] as Response | undefined;
  }

  private checkContent(
    template: string,
    verb: string,
    res: ResponseSample,
    response: Response,
  ): string[] {
    const header = res.headers['content-type'];
    const type = String(header ?? '')
      .split(';')[0]
      .trim()
      .toLowerCase();
    const hasBody = (res.text ?? '') !== '' || (res.body !== undefined && type !== '');
    const media = Object.keys(response.content ?? {});
    if (media.length === 0) {
      return hasBody ? [`a ${type || 'body'} answer, none documented`] : [];
    }
    if (!hasBody) return [`no body, ${media.join(' or ')} documented`];
    const key = media.find(
      (m) => m === type || (m.endsWith('/*') && type.startsWith(m.slice(0, -1))),
    );
    if (!key) return [`content type ${type || '(none)'} is not documented (${media.join(', ')})`];
    const schema = response.content![key].schema;
    if (!schema || !isJson(type)) return [];
    const validate = this.validator(`${verb} ${template} ${res.status} ${key}`, schema);
    const problems: string[] = [];
    const code = (res.body as { error?: { code?: unknown } } | null)?.error?.code;
    const declared = res.status >= 400 ? this.declaredCodes(schema) : undefined;
    if (declared && !declared.includes(code as string)) {
      problems.push(
        `code ${String(code)} is not declared for ${res.status} (${declared.join(', ')})`,
      );
    }
    if (!validate(res.body)) {
      const shown = (validate.errors ?? []).filter(
        (e) => !(declared && e.instancePath === '/error/code'),
      );
      problems.push(...shown.slice(0, 5).map((e) => describe(e, res.body)));
    }
    return problems;
  }

  /** The code enum an error response narrows the shared Error schema to. */
  private declaredCodes(schema: Json): string[] | undefined {
    const match = /"code":\{"type":"string","enum":(\[[^\]]*\])/.exec(JSON.stringify(schema));
    return match ? (JSON.parse(match[1]) as string[]) : undefined;
  }

  private validator(key: string, schema: Json): ValidateFunction {
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(this.rewriteRefs(schema));
      this.compiled.set(key, validate);
    }
    return validate;
  }

  /** `#/components/schemas/X` → the same schema in the one ajv knows as openapi.json. */
  private rewriteRefs<T>(schema: T): T {
    return JSON.parse(
      JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${SCHEMAS_ID}#/$defs/`),
    ) as T;
  }
}

function describe(error: ErrorObject, body: unknown): string {
  const at = error.instancePath || '(body)';
  let value: unknown = body;
  for (const part of error.instancePath.split('/').slice(1)) {
    value = (value as Record<string, unknown> | undefined)?.[part];
  }
  const shown = JSON.stringify(value)?.slice(0, 80);
  return `${at} ${error.message} (${JSON.stringify(error.params)}; got ${shown})`;
}
