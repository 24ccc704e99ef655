import type { FastifyCorsOptions } from '@fastify/cors';
import type { Env } from '../../config/env.validation';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER } from './idempotent';
import type { RateLimitKind } from './rate-limit';
import { REQUEST_ID_HEADER } from './request-id';

const RATE_LIMIT_NAMES: RateLimitKind[] = ['auth', 'intake', 'redeliver', 'writes'];

/** CORS_ORIGINS as a list; empty means no browser origin may call the API. */
export function allowedOrigins(env: Pick<Env, 'CORS_ORIGINS'>): string[] {
  return (env.CORS_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim().replace(/\/$/, '').toLowerCase())
    .filter((o) => o.length > 0);
}

/**
 * Exact origins only (no wildcards, no reflection of whatever Origin arrives), and no
 * credentials: browsers call with a bearer token in Authorization, never with our cookies (the
 * queue dashboard's cookie is same-origin only). An origin not on the list gets no CORS headers,
 * so the browser refuses it the answer.
 */
export function corsOptions(origins: string[]): FastifyCorsOptions {
  const allowed = new Set(origins);
  return {
    origin: (origin, done) => done(null, origin !== undefined && allowed.has(origin.toLowerCase())),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', IDEMPOTENCY_KEY_HEADER, REQUEST_ID_HEADER],
    exposedHeaders: [
      REQUEST_ID_HEADER,
      IDEMPOTENT_REPLAYED_HEADER,
      'Retry-After',
      // The throttler's headers, one set per limit a call counts toward (rate-limit.guard.ts).
      ...RATE_LIMIT_NAMES.flatMap((name) =>
        ['Limit', 'Remaining', 'Reset'].map((part) => `X-RateLimit-${part}-${name}`),
      ),
    ],
    credentials: false,
    // Browsers cap this anyway (Chromium: 2 h); 10 min keeps a changed list from lingering long.
    maxAge: 600,
    optionsSuccessStatus: 204,
  };
}
