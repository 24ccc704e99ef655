import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import express, {
  ErrorRequestHandler,
  NextFunction,
  Request,
  RequestHandler,
  Response,
} from 'express';
import { Logger } from 'nestjs-pino';
import { Env } from '../../config/env.validation';
import { toDomainError } from '../errors/all-exceptions.filter';
import { DomainError } from '../errors/domain-error';
import { requireJsonBody } from './content-type.middleware';
import { REQUEST_ID_HEADER, requestId } from './request-id';

/** Body-parser failures become DomainErrors here, so the one filter renders them. */
const mapParserErrors: ErrorRequestHandler = (err, _req, _res, next) => {
  next(toDomainError(err) ?? err);
};

/** Paths of strings holding a NUL character, which PostgreSQL text cannot store. */
function nulPaths(value: unknown, path: string, out: string[]): string[] {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) out.push(path || '(body)');
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) nulPaths(v, path ? `${path}.${k}` : k, out);
  }
  return out;
}

/**
 * JSON arrays parse fine but no route takes one; NUL characters parse fine but no column can
 * hold one. Both are refused here, naming the field, before they could become a 500.
 */
const checkBodyShape: RequestHandler = (req, _res, next) => {
  if (Array.isArray(req.body)) {
    next(
      DomainError.validation([{ field: '(body)', messages: ['the body must be a JSON object'] }]),
    );
    return;
  }
  const nul = req.body === undefined ? [] : nulPaths(req.body, '', []);
  if (nul.length > 0) {
    next(
      DomainError.validation(
        nul.map((field) => ({ field, messages: [`${field} must not contain NUL characters`] })),
      ),
    );
    return;
  }
  next();
};

function trustProxy(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return /^\d+$/.test(value) ? Number(value) : value;
}

/**
 * The HTTP set-up shared by main.ts and the test app factory, so tests exercise exactly what
 * production serves: body limits, content-type rules, logging, OpenAPI, graceful shutdown.
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
    next();
  });
  expressApp.use(requireJsonBody);
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

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Handoff API')
      .setDescription(
        'Marketplace for human escalation work behind AI customer service. Errors always have ' +
          `the shape { error: { code, message, details, requestId } }; every response carries ${REQUEST_ID_HEADER}.`,
      )
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'user')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Company API key hk_…' }, 'bot')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
