/**
 * `npm run client:generate`: rewrites src/client/api.ts from the OpenAPI document the API
 * serves at /docs-json, built here exactly as configure-http-app.ts builds it
 * (buildOpenApiDocument) but from an app in Nest's preview mode: modules and controllers are
 * scanned, no provider is created, so nothing connects to Postgres or Redis and no .env is read.
 *
 *   npm run client:generate                        # writes src/client/api.ts
 *   node dist/src/client/generate.js <file>        # writes elsewhere (e.g. to compare)
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import pino from 'pino';
import { AppModule } from '../app.module';
import { createHttpAdapter } from '../common/http/configure-http-app';
import { buildOpenApiDocument } from '../common/http/openapi';
import { validateEnv } from '../config/env.validation';
import { CLIENT_TYPES_FILE, renderClientTypes } from './render-types';

/**
 * The repository root (package.json, .prettierrc): above dist/src/client, or the working
 * directory for a build made elsewhere (`npm run` starts in the root).
 */
function repositoryRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(resolve(dir, 'package.json'))) return dir;
  }
  return process.cwd();
}

/**
 * Placeholders that only have to pass validation: the document does not depend on them (the
 * drift test compares with a test app's document, built on other values). The throttler's
 * Redis client is constructed while the module is registered, even in preview mode:
 * `lazyConnect` (ioredis reads options from the URL) keeps it from dialling.
 */
const PREVIEW_ENV = {
  NODE_ENV: 'test',
  DATABASE_URL: 'postgres://openapi@127.0.0.1:5432/unused',
  REDIS_URL: 'redis://127.0.0.1:6379/?lazyConnect=true',
  JWT_SECRET: 'openapi-generation-needs-no-real-secret-here',
  LOG_LEVEL: 'silent',
};

/** The document /docs-json serves, without starting anything. */
async function servedDocument(): Promise<object> {
  const env = validateEnv(PREVIEW_ENV);
  const app = await NestFactory.create(
    AppModule.register({ env, logger: pino({ level: 'silent' }), workers: false }),
    createHttpAdapter(env),
    { preview: true, logger: false },
  );
  try {
    return buildOpenApiDocument(app, env);
  } finally {
    await app.close();
  }
}

async function main(): Promise<void> {
  const root = repositoryRoot();
  const target = resolve(process.argv[2] ?? resolve(root, CLIENT_TYPES_FILE));
  const text = renderClientTypes(await servedDocument(), root);
  writeFileSync(target, text);
  process.stdout.write(`wrote ${target} (${text.split('\n').length} lines)\n`);
}

// An entry point (scripts/launch.js requires it, so require.main is not this module).
main().catch((e: unknown) => {
  process.stderr.write(`client:generate failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
