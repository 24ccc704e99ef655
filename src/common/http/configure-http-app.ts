import { AsyncResource } from 'node:async_hooks';
import type { IncomingMessage } from 'node:http';
import { Logger as NestLogger, type INestApplication } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import fastifyCookie from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { Env } from '../../config/env.validation';
import { HttpMetrics } from '../../modules/metrics/http-metrics';
import { errorBody } from '../errors/all-exceptions.filter';
import { DomainError } from '../errors/domain-error';
import { bodyProblems } from './body-shape';
import { allowedOrigins, corsOptions } from './cors';
import { buildOpenApiDocument } from './openapi';
import { bodyHeaderError, decodedBody, parseJsonBody } from './json-body';
import { runWithRequestContext } from './request-context';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id';
import { badUrlError } from './url-check';

function trustProxy(value: string): boolean | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
}

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };

/** BODY_LIMIT ("256kb", "1mb", "1024b") in bytes. */
export function bodyLimitBytes(limit: string): number {
  const [, n, unit] = /^(\d+)(b|kb|mb)$/i.exec(limit)!;
  return Number(n) * UNITS[unit.toLowerCase()];
}

/**
 * The HTTP server: Fastify (issue 20: it costs the API 15 % less CPU per escalation than Express
 * did, docs/adr/0017-fastify.md). Routing as before: a trailing slash and letter case do not matter.
 * The request id is minted (or a caller's sane one reused) before anything else runs, so every
 * log line, error body and job carries it.
 */
export function createHttpAdapter(env: Env): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: bodyLimitBytes(env.BODY_LIMIT),
    trustProxy: trustProxy(env.TRUST_PROXY),
    // Parameters as long as a URL may be (Fastify's default cut is 100 characters).
    routerOptions: { ignoreTrailingSlash: true, caseSensitive: false, maxParamLength: 8192 },
    // A path the router cannot even decode never reaches the hooks: answered here, in our shape.
    frameworkErrors: (_err: Error, request: FastifyRequest, reply: FastifyReply) => {
      const error =
        badUrlError(request.url) ?? new DomainError('VALIDATION_FAILED', 'The URL is not valid');
      void reply
        .header(REQUEST_ID_HEADER, request.id)
        .status(error.status)
        .send(errorBody(error, request.id));
    },
    // Also on the raw request, where the request logger (pino-http) looks for it.
    genReqId: (req: IncomingMessage) => ((req as { id?: unknown }).id = requestIdOf(req)),
    // Nest's logger (pino, through nestjs-pino) logs requests; Fastify's own stays quiet.
    logger: false,
  });
}

const CONTEXT = Symbol('handoff.requestContext');
type WithContext = FastifyRequest & { [CONTEXT]?: AsyncResource };

/**
 * The HTTP set-up shared by main.ts and the test app factory, so tests exercise exactly what
 * production serves: security headers, URL checks, body limits, content-type rules, logging,
 * OpenAPI. Guards, the validation pipe and the error filter are global providers in AppModule;
 * errors thrown by the hooks here reach that filter too (Nest sets Fastify's error handler).
 */
export async function configureHttpApp(app: INestApplication, env: Env): Promise<void> {
  const nest = app as NestFastifyApplication;
  nest.useLogger(app.get(Logger));
  const fastify = nest.getHttpAdapter().getInstance();
  const metrics = app.get(HttpMetrics);
  // Behind a proxy with TRUST_PROXY off, every client has the proxy's address, so each limit
  // per address (sign-in, sign-up, session renewal) is one limit shared by everyone: said once
  // per process, when the first forwarded request arrives.
  let proxyUnnamed = env.TRUST_PROXY === 'false';

  fastify.addHook('onRequest', (request: WithContext, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    if (proxyUnnamed && request.headers['x-forwarded-for'] !== undefined) {
      proxyUnnamed = false;
      new NestLogger('Http').warn(
        "a request came through a proxy (X-Forwarded-For) but TRUST_PROXY is off: every client shares the proxy's address, and one client can use up the per-address rate limits for all; set TRUST_PROXY to the proxies' addresses",
      );
    }
    // The rest of the request runs in its context: outbox rows it writes carry the id on. The
    // body arrives through stream events, outside it, so preValidation enters it again.
    runWithRequestContext({ requestId: request.id }, () => {
      request[CONTEXT] = new AsyncResource('handoff.request');
      done(badUrlError(request.url) ?? bodyHeaderError(request.headers) ?? undefined);
    });
  });
  // Every answer counted and timed by route template, even those refused before routing.
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.record(request, reply);
    done();
  });
  // Before anything that could refuse a preflight (content-type rules run after it answers).
  const corsOrigins = allowedOrigins(env);
  if (corsOrigins.length > 0) nest.enableCors(corsOptions(corsOrigins));
  // Helmet's defaults, CSP included, suit the API and the Swagger UI alike: @nestjs/swagger
  // serves the UI's scripts as same-origin files and only its styles inline, which the default
  // style-src allows (test/hardening.e2e-spec.ts checks each asset). upgrade-insecure-requests
  // is dropped: on plain HTTP (a laptop, a LAN address) it would send the UI's assets to https.
  // Helmet itself, built once: @fastify/helmet builds a new helmet middleware on every request,
  // 0.025 ms of CPU per request by the profile (docs/performance.md, "Later on 12-01").
  const securityHeaders = helmet({
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    securityHeaders(request.raw, reply.raw, () => done());
  });
  // The console's session cookie and the queue dashboard's (read on their routes only).
  await nest.register(fastifyCookie);

  // One parser for every body: the onRequest hook has already refused all but JSON. Bodies are
  // parsed as Express's parser did (json-body.ts), prototype keys included (Fastify's own parser
  // refuses them): the validation pipe's whitelist refuses unknown properties anyway.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      done(null, parseJsonBody(request, body as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    done(null, decodedBody(request.headers, payload));
  });
  // JSON arrays parse fine but no route takes one; deep nesting and NUL characters parse fine
  // but fail later as 500s (see bodyProblems). All are refused here, naming the field.
  fastify.addHook('preValidation', (request: WithContext, _reply, done) => {
    const resume = (err?: Error) => request[CONTEXT]!.runInAsyncScope(done, null, err);
    if (Array.isArray(request.body)) {
      resume(
        DomainError.validation([{ field: '(body)', messages: ['the body must be a JSON object'] }]),
      );
      return;
    }
    const problems = request.body === undefined ? [] : bodyProblems(request.body);
    resume(problems.length > 0 ? DomainError.validation(problems) : undefined);
  });

  // Off: the routes are never mounted, so /docs and /docs-json 404 like any unknown path.
  if (!env.API_DOCS) return;
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app, env), {
    jsonDocumentUrl: 'docs-json',
  });
}
