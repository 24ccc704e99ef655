import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { WebhooksEnv } from './env/webhooks.env';

/**
 * Every variable the process reads. Defaults make `npm start` work on a laptop with nothing set;
 * production (NODE_ENV=production) must set the secrets explicitly.
 *
 * The variables live in src/config/env/, a class per concern, each extending the one before it
 * (server, database, auth, rate limits, operations, jobs, events, marketplace, billing, Stripe,
 * webhooks). A plain extends chain rather than IntersectionType: that copies only defaults that
 * are not undefined, so a variable without one (DATABASE_URL, JWT_SECRET…) would no longer be a
 * property of every Env, and validateEnv's result would lack its key.
 */
export class Env extends WebhooksEnv {}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Validates raw environment variables; throws ConfigError naming each bad variable. */
export function validateEnv(raw: Record<string, unknown>): Env {
  // Empty strings count as unset, as in most .env tooling.
  const present = Object.fromEntries(
    Object.entries(raw).filter(([, v]) => v !== undefined && v !== ''),
  );
  const env = plainToInstance(Env, present, { exposeDefaultValues: true });
  const errors = validateSync(env, { whitelist: false, skipMissingProperties: false });
  const problems = errors.map((e) => {
    const messages = Object.values(e.constraints ?? {});
    return `${e.property}: ${messages[0] ?? 'invalid'} (got ${shown(e.property, e.value)})`;
  });
  // Unset elsewhere, a local (or embedded) PostgreSQL and a local Redis are found or started:
  // in production that would be a database of its own on the API's host, so they are named.
  if (env.NODE_ENV === 'production') {
    for (const name of ['DATABASE_URL', 'REDIS_URL'].filter((n) => present[n] === undefined)) {
      problems.push(`${name}: required when NODE_ENV=production (unset, a local one is used)`);
    }
    // The console's session cookies are marked Secure when PUBLIC_URL is https: unset (its
    // default is http://localhost:3000) or plain http, the 30-day refresh cookie could travel
    // in the clear. Stripe's onboarding also sends agents back to it.
    if (!env.PUBLIC_URL.startsWith('https://')) {
      problems.push(
        `PUBLIC_URL: must be the console's https URL when NODE_ENV=production (got ${shown('PUBLIC_URL', env.PUBLIC_URL)})`,
      );
    }
    if (env.WEBHOOK_ALLOW_PRIVATE_URLS) {
      problems.push(
        'WEBHOOK_ALLOW_PRIVATE_URLS: must be off when NODE_ENV=production (companies could make the platform call its own internal addresses)',
      );
    }
    // A benchmark's or a laptop's setting copied into production would take every sign-in,
    // intake and write limit off at once (the login slowdown alone does not stop one address
    // trying many accounts).
    if (!env.RATE_LIMITS) {
      problems.push(
        'RATE_LIMITS: must be on when NODE_ENV=production (off, no request is ever limited)',
      );
    }
    // Another Stripe API base (a test fake, a mock) would receive the live secret key, over
    // plain http if so written, and answer for payouts and charges the ledger books as real.
    if (env.STRIPE_API_BASE !== undefined) {
      problems.push(
        `STRIPE_API_BASE: must be unset when NODE_ENV=production (production talks to Stripe itself; got ${shown('STRIPE_API_BASE', env.STRIPE_API_BASE)})`,
      );
    }
    // Tests and benchmarks lower argon2's cost to go fast; production keeps at least OWASP's
    // floor for argon2id (19 MiB, 2 passes), which the defaults are.
    if (env.ARGON2_MEMORY_KIB < 19456 || env.ARGON2_TIME_COST < 2) {
      problems.push(
        `ARGON2_MEMORY_KIB, ARGON2_TIME_COST: at least 19456 and 2 when NODE_ENV=production (got ${env.ARGON2_MEMORY_KIB} and ${env.ARGON2_TIME_COST}): lower, a stolen hash is cheap to guess`,
      );
    }
    if (/^(sk|rk)_test_/.test(env.STRIPE_SECRET_KEY ?? '') && !env.STRIPE_TEST_MODE_IN_PRODUCTION) {
      problems.push(
        'STRIPE_SECRET_KEY: a test-mode key moves no money; with NODE_ENV=production it needs STRIPE_TEST_MODE_IN_PRODUCTION=true (a staging deployment on purpose)',
      );
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return env;
}

/** Variables whose value is a secret: an error names their length, never their value. */
const SECRETS = new Set([
  'JWT_SECRET',
  'SECRETS_ENCRYPTION_KEY',
  'SECRETS_ENCRYPTION_KEY_PREVIOUS',
  'METRICS_TOKEN',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'STRIPE_CONNECT_WEBHOOK_SECRET',
]);
/** Variables that are URLs and may carry a password. */
const URLS = new Set(['DATABASE_URL', 'REDIS_URL']);

/**
 * A bad value as the error shows it: start-up errors go to the log pipeline, which must not
 * collect a secret (or the other keys of a list with one bad entry) or a database password.
 */
function shown(variable: string, value: unknown): string {
  if (typeof value === 'string' && SECRETS.has(variable)) return `${value.length} characters`;
  if (typeof value === 'string' && URLS.has(variable)) {
    if (!URL.canParse(value)) return `${value.length} characters, not a URL`;
    const url = new URL(value);
    if (url.password) url.password = '***';
    return JSON.stringify(url.toString());
  }
  return JSON.stringify(value);
}
