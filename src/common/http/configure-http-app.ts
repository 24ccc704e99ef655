import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import express, {
  ErrorRequestHandler,
  NextFunction,
  Request,
  RequestHandler,
  Response,
} from 'express';
import { Logger } from 'nestjs-pino';
import { Env } from '../../config/env.validation';
import { httpMetrics } from '../../modules/metrics/http-metrics';
import { isClientAbort, toDomainError } from '../errors/all-exceptions.filter';
import { DomainError } from '../errors/domain-error';
import { bodyProblems } from './body-shape';
import { requireJsonBody, requireKnownEncoding } from './content-type.middleware';
import { allowedOrigins, corsOptions } from './cors';
import { runWithRequestContext } from './request-context';
import { buildOpenApiDocument } from './openapi';
import { requestId } from './request-id';
import { refuseBadUrl } from './url-check.middleware';

/**
 * Body-parser failures become DomainErrors here, so the one filter renders them; a client that
 * hung up goes on as is, for the filter to log quietly (there is no one to answer).
 */
const mapParserErrors: ErrorRequestHandler = (err, _req, _res, next) => {
  next(isClientAbort(err) ? err : (toDomainError(err) ?? err));
};

/**
 * JSON arrays parse fine but no route takes one; deep nesting and NUL characters parse fine but
 * fail later as 500s (see bodyProblems). All are refused here, naming the field.
 */
const checkBodyShape: RequestHandler = (req, _res, next) => {
  if (Array.isArray(req.body)) {
    next(
      DomainError.validation([{ field: '(body)', messages: ['the body must be a JSON object'] }]),
    );
    return;
  }
  const problems = req.body === undefined ? [] : bodyProblems(req.body);
  next(problems.length > 0 ? DomainError.validation(problems) : undefined);
};

function trustProxy(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return /^\d+$/.test(value) ? Number(value) : value;
}

/**
 * The HTTP set-up shared by main.ts and the test app factory, so tests exercise exactly what
 * production serves: security headers, URL checks, body limits, content-type rules, logging,
 * OpenAPI, graceful shutdown.
 * Guards, the validation pipe and the error filter are global providers in AppModule.
 */
export function configureHttpApp(app: INestApplication, env: Env): void {
  const expressApp = app as NestExpressApplication;
  expressApp.useLogger(app.get(Logger));
  expressApp.set('trust proxy', trustProxy(env.TRUST_PROXY));
  expressApp.disable('x-powered-by');
  // First of all, so even a body-parsing error carries the request id (pino-http reuses it).
  expressApp.use((req: Request & { id?: string }, res: Response, next: NextFunction) => {
    req.id = requestId(req, res);
    // The rest of the request runs in its context: outbox rows it writes carry the id on.
    runWithRequestContext({ requestId: req.id }, next);
  });
  // Every answer counted and timed by route template, even those refused before routing.
  expressApp.use(httpMetrics(app));
  // Before anything that could refuse a preflight (content-type rules): OPTIONS ends here.
  const corsOrigins = allowedOrigins(env);
  if (corsOrigins.length > 0) expressApp.enableCors(corsOptions(corsOrigins));
  // Helmet's defaults, CSP included, suit the API and the Swagger UI alike: @nestjs/swagger
  // serves the UI's scripts as same-origin files and only its styles inline, which the default
  // style-src allows (test/hardening.e2e-spec.ts checks each asset). upgrade-insecure-requests
  // is dropped: on plain HTTP (a laptop, a LAN address) it would send the UI's assets to https.
  expressApp.use(
    helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }),
  );
  expressApp.use(refuseBadUrl);
  expressApp.use(requireJsonBody, requireKnownEncoding);
  expressApp.use(
    express.json({
      limit: env.BODY_LIMIT,
      type: ['application/json', 'application/*+json'],
      // Stripe signs the exact bytes it sent; keep them for webhook verification.
      verify: (req, _res, buf) => {
        (req as unknown as { rawBody: Buffer }).rawBody = buf;
      },
    }),
    mapParserErrors,
    checkBodyShape,
  );

  // Off: the routes are never mounted, so /docs and /docs-json 404 like any unknown path.
  if (!env.API_DOCS) return;
  const document = buildOpenApiDocument(app, env);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
