import { INestApplication, ParseUUIDPipe, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type {
  HeaderObject,
  OperationObject,
  ParameterObject,
  ResponseObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { Env } from '../../config/env.validation';
import { Role, USER_ROLES } from '../auth/actor';
import { IS_PUBLIC_KEY, RECENT_SIGN_IN_KEY, ROLES_KEY } from '../auth/decorators';
import { ErrorCode } from '../errors/error-code';
import { API_ERRORS_KEY } from './api-errors';
import {
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENT_KEY,
  IDEMPOTENT_REPLAYED_HEADER,
  type IdempotentMode,
} from './idempotent';
import { errorComponents, errorResponses } from './openapi-errors';
import { toOpenApi31 } from './openapi-31';
import { RATE_LIMIT_KEY, RateLimitKind } from './rate-limit';
import { REQUEST_ID_HEADER } from './request-id';

/** The header a replayed answer carries (the idempotency module sets it). */

/** Every tag an operation may carry, with what it covers; the e2e test refuses any other. */
export const API_TAGS: Record<string, string> = {
  auth: 'Sign-up, sign-in, token refresh and the signed-in user.',
  companies:
    "A company's own settings (time zone, invoicing), its bots' API keys and the agents it certified.",
  bot: "Calls a company's bot makes with its API key.",
  skills: 'The skill taxonomy that shifts, tickets and agents refer to.',
  agents: "Agents' profiles and skills; suspension by the platform's admins.",
  shifts: 'Shifts a company posts: windows of demand with seats and pay per ticket.',
  seats: 'The agent side of shifts: open shifts, seat claims, check-in, waitlists.',
  tickets: 'Escalations from bots, and the work agents do on them.',
  offers: 'Push routing: tickets offered to one available agent at a time, to accept or decline.',
  webhooks: "The company's webhook: URL, signing secret, test pings and the delivery log.",
  events:
    'What happened, kept 30 days: a cursor-paged list and a Server-Sent Events stream with replay.',
  money: "Agents' earnings and payouts, company statements, the ledger and adjustments.",
  payouts: 'Payout runs by finance: draft, approve, execute, reconcile.',
  billing: "Money in: a company's Stripe customer, its saved card and what it owes.",
  quality:
    "Customers' ratings and companies' reviews of resolutions, agents' disputes of reviews, quality scores.",
  stripe: 'Events Stripe sends (signed; not for API clients).',
  health: 'Liveness and readiness probes.',
  admin: "Operations for the platform's admins.",
};

const SUCCESS_TEXT: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '202': 'Accepted: the work goes on in the background',
  '204': 'Done; no content',
};

const WRITE_METHODS = new Set(['post', 'put', 'patch', 'delete']);
const EVERY_CALLER: Role[] = [...USER_ROLES, 'bot'];

/** What the document needs to know about a route, read from the same metadata the guards read. */
interface RouteFacts {
  method: string;
  /** OpenAPI path template, e.g. /v1/shifts/{id}. */
  path: string;
  isPublic: boolean;
  roles: Role[] | undefined;
  rateLimit: RateLimitKind | undefined;
  idempotent: IdempotentMode | undefined;
  /** @RecentSignIn: RolesGuard may refuse 403 RECENT_SIGN_IN_REQUIRED. */
  recentSignIn: boolean;
  errors: ErrorCode[];
  /** Path parameters parsed as UUIDs (IdParam). */
  uuidParams: string[];
}

const joinPath = (...parts: string[]) =>
  (
    '/' +
    parts
      .flatMap((p) => p.split('/'))
      .filter(Boolean)
      .join('/')
  ).replace(/:(\w+)/g, '{$1}');

function routeFacts(app: INestApplication): RouteFacts[] {
  const reflector = new Reflector();
  const scanner = new MetadataScanner();
  const facts = new Map<string, RouteFacts>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      if (!metatype) continue;
      const base = [Reflect.getMetadata(PATH_METADATA, metatype) ?? ''].flat()[0] as string;
      const proto = metatype.prototype as Record<string, object>;
      for (const name of scanner.getAllMethodNames(proto)) {
        const handler = proto[name];
        const sub = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (sub === undefined) continue;
        const verb = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        const targets = [handler as () => void, metatype];
        const route: RouteFacts = {
          method: verb.toLowerCase(),
          path: joinPath(base, [sub].flat()[0]),
          isPublic: reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets) ?? false,
          roles: reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets),
          rateLimit: reflector.getAllAndOverride<RateLimitKind>(RATE_LIMIT_KEY, targets),
          idempotent: reflector.getAllAndOverride<IdempotentMode>(IDEMPOTENT_KEY, targets),
          recentSignIn: reflector.getAllAndOverride<boolean>(RECENT_SIGN_IN_KEY, targets) ?? false,
          errors: reflector.getAllAndMerge<ErrorCode[]>(API_ERRORS_KEY, targets) ?? [],
          uuidParams: uuidParams(metatype, name),
        };
        facts.set(`${route.method} ${route.path}`, route);
      }
    }
  }
  return [...facts.values()];
}

interface RouteArg {
  data?: unknown;
  pipes?: unknown[];
}

function uuidParams(controller: object, method: string): string[] {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<
    string,
    RouteArg
  >;
  return Object.values(args)
    .filter((a) => typeof a.data === 'string' && a.pipes?.some((p) => p instanceof ParseUUIDPipe))
    .map((a) => a.data as string);
}

/**
 * The error codes a route can answer: the generic ones follow from what the route is (as the
 * guards, pipes and middleware treat it), the domain ones are declared with @ApiErrors.
 */
function errorCodesOf(route: RouteFacts): ErrorCode[] {
  const write = WRITE_METHODS.has(route.method);
  const codes: ErrorCode[] = ['VALIDATION_FAILED', 'INTERNAL', 'SERVICE_UNAVAILABLE'];
  // Any body is parsed and checked before routing (configure-http-app.ts), and a transaction
  // may collide with a concurrent one (constraint-errors.ts).
  if (write)
    codes.push('MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'CONFLICT');
  if (!route.isPublic) {
    codes.push('UNAUTHENTICATED', 'INVALID_API_KEY');
    // RolesGuard: without @Roles only users pass; a bot only where 'bot' is listed.
    const allowed: Role[] = route.roles ?? [...USER_ROLES];
    if (!EVERY_CALLER.every((r) => allowed.includes(r))) codes.push('FORBIDDEN');
    if (route.recentSignIn) codes.push('RECENT_SIGN_IN_REQUIRED');
  }
  if (/\{\w+\}/.test(route.path)) codes.push('NOT_FOUND');
  // As RateLimitGuard.kindsOf: auth and intake always; every other route for signed-in callers
  // (their writes and their reads each count toward a limit).
  const limited = route.rateLimit === 'auth' || route.rateLimit === 'intake' || !route.isPublic;
  if (limited) codes.push('RATE_LIMITED');
  if (route.idempotent)
    codes.push(
      'IDEMPOTENCY_KEY_REUSED',
      'IDEMPOTENCY_KEY_IN_USE',
      'ANSWER_LOST',
      'OUTCOME_UNKNOWN',
    );
  return [...codes, ...route.errors];
}

function securityOf(route: RouteFacts): Record<string, string[]>[] {
  if (route.isPublic) return [];
  const roles: Role[] = route.roles ?? [...USER_ROLES];
  return [
    ...(roles.some((r) => r !== 'bot') ? [{ user: [] }] : []),
    ...(roles.includes('bot') ? [{ bot: [] }] : []),
  ];
}

function complete(document: OpenAPIObject, route: RouteFacts): void {
  const operation = document.paths[route.path]?.[route.method as 'get'] as
    OperationObject | undefined;
  if (!operation) return; // excluded from the document (@ApiExcludeController/Endpoint)
  const components = document.components!;
  operation.security = securityOf(route);
  for (const parameter of operation.parameters ?? []) {
    if ('in' in parameter && parameter.in === 'path' && route.uuidParams.includes(parameter.name)) {
      parameter.schema = { type: 'string', format: 'uuid' };
    }
  }
  for (const [status, response] of Object.entries(operation.responses)) {
    // A success the plugin inferred has no words; say at least what the status says.
    if (response && 'description' in response && !response.description) {
      response.description = SUCCESS_TEXT[status] ?? 'Success';
    }
  }
  if (route.idempotent) {
    const required = route.idempotent === 'required';
    const name = required ? 'IdempotencyKeyRequired' : 'IdempotencyKey';
    components.parameters = {
      ...components.parameters,
      [name]: required
        ? {
            ...IDEMPOTENCY_KEY_PARAMETER,
            required: true,
            description: `Required here: nothing else tells a retry from a second request. ${IDEMPOTENCY_KEY_PARAMETER.description}`,
          }
        : IDEMPOTENCY_KEY_PARAMETER,
    };
    components.headers = { ...components.headers, IdempotentReplayed: IDEMPOTENT_REPLAYED };
    operation.parameters = [
      ...(operation.parameters ?? []),
      { $ref: `#/components/parameters/${name}` },
    ];
    for (const [status, response] of Object.entries(operation.responses)) {
      if (!status.startsWith('2') || !response || '$ref' in response) continue;
      (response as ResponseObject).headers = {
        ...(response as ResponseObject).headers,
        [IDEMPOTENT_REPLAYED_HEADER]: { $ref: '#/components/headers/IdempotentReplayed' },
      };
    }
  }
  // Ours replace whatever a decorator said about an error status (e.g. terminus' 503).
  Object.assign(operation.responses, errorResponses(errorCodesOf(route), components));
}

const IDEMPOTENCY_KEY_PARAMETER: ParameterObject = {
  name: IDEMPOTENCY_KEY_HEADER,
  in: 'header',
  required: false,
  description:
    'Makes a retry safe: the same key with the same request answers the first answer again ' +
    `(with ${IDEMPOTENT_REPLAYED_HEADER}: true) instead of doing it twice. Keys are scoped to ` +
    'the caller and kept 24 hours; the same key with another request is 409 ' +
    'IDEMPOTENCY_KEY_REUSED.',
  schema: { type: 'string', minLength: 1, maxLength: 255 },
  example: '5b0e6c1f-shift-2030-05-04',
};

const IDEMPOTENT_REPLAYED: HeaderObject = {
  description: 'Present (`true`) when this is the stored answer to an earlier request.',
  schema: { type: 'string', enum: ['true'] },
};

function info(env: Env) {
  const builder = new DocumentBuilder()
    .setTitle('Handoff API')
    .setDescription(
      'Marketplace for human escalation work behind AI customer service. Errors always have ' +
        'the shape `{ error: { code, message, details, requestId } }` and each operation lists ' +
        `the codes it can answer; every response carries ${REQUEST_ID_HEADER}.`,
    )
    .setVersion('1')
    .addServer(env.PUBLIC_URL.replace(/\/+$/, ''), 'This deployment (PUBLIC_URL)')
    .addSecurity('user', {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'An access token from POST /v1/auth/login (15 minutes).',
    })
    .addSecurity('bot', {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'API key',
      description: "A company's API key (hk_…), from POST /v1/companies/me/api-keys.",
    });
  for (const [name, description] of Object.entries(API_TAGS)) builder.addTag(name, description);
  return builder.build();
}

/**
 * The OpenAPI document /docs-json serves: what @nestjs/swagger reads from the controllers and
 * DTOs, completed from the routes' own metadata (security from @Public/@Roles, error responses,
 * the Idempotency-Key header), then rewritten to OpenAPI 3.1.
 */
export function buildOpenApiDocument(app: INestApplication, env: Env): OpenAPIObject {
  const document = SwaggerModule.createDocument(app, info(env));
  // Proprietary: no URL to point at, so an SPDX LicenseRef (3.1's `identifier`).
  document.info.license = {
    name: 'Proprietary',
    identifier: 'LicenseRef-Proprietary',
  } as OpenAPIObject['info']['license'];
  delete document.info.contact; // DocumentBuilder's empty default
  const components = (document.components ??= {});
  const errors = errorComponents();
  components.schemas = { ...components.schemas, ...errors.schemas };
  components.headers = { ...components.headers, ...errors.headers };
  for (const route of routeFacts(app)) complete(document, route);
  return toOpenApi31(document);
}
