import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { configureHttpApp, createHttpAdapter } from '../../src/common/http/configure-http-app';
import { buildOpenApiDocument } from '../../src/common/http/openapi';
import { Env, validateEnv } from '../../src/config/env.validation';
import { OpenApiDocument, ResponseSample, ResponseValidator } from './openapi-validator';
import { databaseUrl, TEST_REDIS_URL } from './services';
import { createTestDatabase, dropTestDatabase } from './test-database';

export interface TestAppOptions {
  /** Run BullMQ workers and the outbox relay in the app (default off). */
  workers?: boolean;
  /** Extra environment variables, validated like real ones. */
  env?: Record<string, string>;
  /** Capture logs (default: silent unless TEST_LOG_LEVEL is set). */
  logger?: pino.Logger;
  /** Providers replaced by test doubles (e.g. the webhook DNS resolver), by token. */
  overrideProviders?: { provide: unknown; useValue: unknown }[];
  /**
   * Check every answer `http` receives against the app's OpenAPI document (default on); close()
   * then fails listing each answer the document does not describe.
   */
  validateResponses?: boolean;
  /**
   * A second process of the same deployment: this app uses `shareWith`'s database and Redis
   * prefix (and leaves both to it on close), e.g. two API processes fanning out events.
   */
  shareWith?: TestApp;
  /**
   * 'cheap' (the default): the cheapest argon2id the configuration allows. The test files
   * create about a thousand users, and the production profile (19 MiB, t=2) costs ~40 ms of CPU
   * for each. 'default': the configuration's own profile.
   */
  passwordHashing?: 'cheap' | 'default';
}

const CHEAP_PASSWORD_HASHING = { ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' };

export interface TestApp {
  app: INestApplication;
  http: ReturnType<typeof request>;
  db: DataSource;
  env: Env;
  /** Redis client for assertions; keys are not prefixed. */
  redis: Redis;
  /** Answers `http` received that the OpenAPI document does not describe, so far. */
  mismatches: string[];
  close(): Promise<void>;
}

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-signing';
/** 32 bytes, base64url: encrypts webhook signing secrets at rest in tests. */
export const TEST_SECRETS_KEY = 'dGVzdC1zZWNyZXRzLWtleS0zMi1ieXRlcy1sb25nISE';

/**
 * A full HTTP app as main.ts builds it, on its own database (cloned from the migrated
 * template) and its own Redis prefix, so test files never see each other's rows or jobs.
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const shared = options.shareWith;
  const database = shared
    ? new URL(shared.env.DATABASE_URL!).pathname.slice(1)
    : await createTestDatabase();
  const prefix = shared?.env.QUEUE_PREFIX ?? `test-${randomBytes(4).toString('hex')}`;
  const env = validateEnv({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl(database),
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    JWT_SECRET: TEST_JWT_SECRET,
    SECRETS_ENCRYPTION_KEY: TEST_SECRETS_KEY,
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true', // receivers in tests listen on 127.0.0.1
    AUTH_THROTTLE_LIMIT: '10000',
    // The limits stay on (every request passes the guard); test/throttle.e2e-spec.ts trips them.
    INTAKE_THROTTLE_LIMIT: '100000',
    WRITE_THROTTLE_LIMIT: '100000',
    READ_THROTTLE_LIMIT: '100000',
    REDELIVER_THROTTLE_LIMIT: '100000',
    COMPANY_KEYS_THROTTLE_LIMIT: '100000',
    DB_POOL_SIZE: '10',
    // Every Stripe call takes its slot (PacedHttpClient): at the highest rate the fake is not
    // the bound of a suite's billing; the payout suites that test the pace set their own.
    STRIPE_RATE_PER_SECOND: '100',
    ...(options.passwordHashing === 'default' ? {} : CHEAP_PASSWORD_HASHING),
    OUTBOX_POLL_MS: '200',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...options.env,
  });
  const logger = options.logger ?? pino({ level: env.LOG_LEVEL });
  let app: INestApplication | undefined;
  try {
    const builder = Test.createTestingModule({
      imports: [AppModule.register({ env, logger, workers: options.workers ?? false })],
    });
    for (const { provide, useValue } of options.overrideProviders ?? []) {
      builder.overrideProvider(provide).useValue(useValue);
    }
    const moduleRef = await builder.compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(env), {
      bodyParser: false,
      bufferLogs: true,
    });
    await configureHttpApp(app, env);
    await app.init();
    await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  } catch (e) {
    // A half-started app keeps pool and Redis connections open and Jest would wait forever.
    await app?.close().catch(() => undefined);
    if (!shared) await dropTestDatabase(database);
    throw e;
  }
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  const mismatches: string[] = [];
  const http =
    options.validateResponses === false
      ? request(app.getHttpServer())
      : await validatingClient(app, env, mismatches);
  return {
    app,
    http,
    db: app.get(DataSource),
    env,
    redis,
    mismatches,
    async close() {
      await app.close();
      if (!shared) await deleteKeys(redis, `${env.QUEUE_PREFIX}:*`);
      redis.disconnect();
      // The database stays until the run ends (globalTeardown drops the run's databases): each
      // DROP DATABASE forces an immediate checkpoint, which stalls every other file's writes
      // for up to seconds on this disk (a connection timed out behind one).
      if (mismatches.length > 0) {
        const counted = [...new Set(mismatches)].map(
          (m) => `- ${m}${count(mismatches, m) > 1 ? ` (×${count(mismatches, m)})` : ''}`,
        );
        throw new Error(
          `${mismatches.length} answer(s) off the OpenAPI document (fix the document, or the ` +
            `code where the code is wrong):\n${counted.join('\n')}`,
        );
      }
    },
  };
}

const count = (list: string[], item: string) => list.filter((x) => x === item).length;

/**
 * supertest, with every answer checked against the document the app serves (built directly when
 * API_DOCS is off). A mismatch is recorded, not thrown, so the test's own assertions report
 * first and close() lists them all.
 */
async function validatingClient(
  app: INestApplication,
  env: Env,
  mismatches: string[],
): Promise<ReturnType<typeof request>> {
  const server = app.getHttpServer();
  const document = (
    env.API_DOCS
      ? (await request(server).get('/docs-json').expect(200)).body
      : JSON.parse(JSON.stringify(buildOpenApiDocument(app, env)))
  ) as OpenApiDocument;
  const validator = new ResponseValidator(document);
  const base = request(server);
  const client = { ...base };
  for (const [method, make] of Object.entries(base) as [string, (url: string) => request.Test][]) {
    (client as Record<string, unknown>)[method] = (url: string) => {
      const test = make(url) as request.Test & {
        assert(err: unknown, res: unknown, fn: unknown): void;
      };
      const assert = test.assert.bind(test);
      // supertest settles every request (then/end/expect) through assert(): one place to look.
      test.assert = (err, res, fn) => {
        if (res) mismatches.push(...validator.check(method, url, res as ResponseSample));
        assert(err, res, fn);
      };
      return test;
    };
  }
  return client as unknown as ReturnType<typeof request>;
}

async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
