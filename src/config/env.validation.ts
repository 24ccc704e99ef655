import { isIP } from 'node:net';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Validate,
  Max,
  Min,
  MinLength,
  ValidateIf,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
  validateSync,
} from 'class-validator';
import { MinorByCurrency, withoutSpaces } from './per-currency';
import { SECRET_KEY_LIST_PATTERN, SECRET_KEY_PATTERN } from '../common/crypto/secret-box';
import { LOG_FORMATS, type RequestedLogFormat } from '../common/logging/log-format';

const toBool = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'on', 'yes'].includes(v)) return true;
  if (['false', '0', 'off', 'no'].includes(v)) return false;
  return value; // left as a string so IsBoolean names the variable
};
const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const toDecimal = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;

/**
 * TRUST_PROXY=true believes every hop's X-Forwarded-For, so any client could name its own
 * address (and pass the per-address sign-in limit with a new one each time) and its own
 * X-Forwarded-Proto; production must name its proxies instead.
 */
@ValidatorConstraint({ name: 'namedProxiesInProduction' })
class NamedProxiesInProduction implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    const env = args.object as Partial<Env>;
    if (env.NODE_ENV !== 'production') return true;
    // `true`, or a subnet holding every address (which trusts every client just the same).
    const entries = String(value)
      .split(',')
      .map((e) => e.trim().toLowerCase());
    return !entries.some((e) => e === 'true' || e === '0.0.0.0/0' || e === '::/0');
  }

  defaultMessage(): string {
    return "TRUST_PROXY must name the proxies' addresses or subnets in production (e.g. 10.0.0.0/8), not true or every address: then any client can forge its own";
  }
}

/**
 * TRUST_PROXY is `true`, `false`, or a comma-separated list Fastify (proxy-addr) understands:
 * addresses, subnets (address/prefix) and the names loopback, linklocal and uniquelocal.
 * Anything else (`on`, a host name, a typo) made Fastify throw at start-up, naming no variable.
 */
@ValidatorConstraint({ name: 'proxyList' })
class ProxyList implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    const text = String(value).trim();
    if (text === 'true' || text === 'false') return true;
    return text.split(',').every((raw) => {
      const entry = raw.trim().toLowerCase();
      if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
      const [address, prefix, extra] = entry.split('/');
      const family = isIP(address);
      if (family === 0 || extra !== undefined) return false;
      if (prefix === undefined) return true;
      return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
    });
  }

  defaultMessage(): string {
    return "TRUST_PROXY must be true, false, or the proxies' addresses or subnets, comma-separated (e.g. loopback, 10.0.0.0/8)";
  }
}

/**
 * Every variable the process reads. Defaults make `npm start` work on a laptop with nothing set;
 * production (NODE_ENV=production) must set the secrets explicitly.
 */
export class Env {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  @Transform(toBool)
  @IsBoolean()
  WORKERS = true;

  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  EMBEDDED_PG_PORT = 5432;

  @IsString()
  EMBEDDED_PG_DATA_DIR = '.data/postgres';

  @Transform(toBool)
  @IsBoolean()
  MIGRATIONS_RUN = true;

  /**
   * Connections per process (the API and, with WORKERS on, its workers share them). Few: on a
   * small database host, 8 busy backends queue less than 20 fighting for its cores, and the
   * pool's FIFO queue is fairer than the scheduler's (docs/performance.md, "A pool of 8").
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(500)
  DB_POOL_SIZE = 8;

  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  @Matches(/^[A-Za-z0-9_-]{1,64}$/, {
    message: 'QUEUE_PREFIX must be 1-64 letters, digits, - or _',
  })
  QUEUE_PREFIX = 'handoff';

  @ValidateIf((env: Env) => env.NODE_ENV === 'production' || env.JWT_SECRET !== undefined)
  @IsString({ message: 'JWT_SECRET is required when NODE_ENV=production' })
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET?: string;

  /**
   * Encrypts secrets kept at rest (webhook signing secrets): 32 random bytes as 64 hex
   * characters or base64 (`openssl rand -base64 32`). Required in production; elsewhere
   * generated once into .data/ when unset.
   */
  @ValidateIf(
    (env: Env) => env.NODE_ENV === 'production' || env.SECRETS_ENCRYPTION_KEY !== undefined,
  )
  @Matches(SECRET_KEY_PATTERN, {
    message:
      'SECRETS_ENCRYPTION_KEY must be 32 bytes as 64 hex characters or base64; required in production',
  })
  SECRETS_ENCRYPTION_KEY?: string;

  /** Keys being rotated out, comma-separated: they only decrypt (see docs/operations.md). */
  @IsOptional()
  @Matches(SECRET_KEY_LIST_PATTERN, {
    message: 'SECRETS_ENCRYPTION_KEY_PREVIOUS must be a comma-separated list of such keys',
  })
  SECRETS_ENCRYPTION_KEY_PREVIOUS?: string;

  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(3600)
  JWT_ACCESS_TTL_SECONDS = 900;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(365)
  REFRESH_TOKEN_TTL_DAYS = 30;

  /**
   * A used refresh token presented again this soon, while its chain has not moved on, gets a new
   * token instead of signing the login out (0: never). It covers an answer lost on the way: a
   * reload during a refresh, or the console's 15 s timeout and 15 s retry.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(300)
  REFRESH_TOKEN_REUSE_GRACE_SECONDS = 60;

  /**
   * How long an API process trusts a bot key it verified before reading it again (0: never
   * cache). A revocation evicts it at once in every process (Redis pub/sub); this bounds the
   * delay when that message is lost.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(300)
  API_KEY_CACHE_SECONDS = 30;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  AUTH_THROTTLE_LIMIT = 10;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  AUTH_THROTTLE_TTL_SECONDS = 60;

  /** Master switch of every request rate limit (benchmarks turn it off; the login slowdown stays). */
  @Transform(toBool)
  @IsBoolean()
  RATE_LIMITS = true;

  /** Escalations (POST /v1/escalations) per API key per window. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  INTAKE_THROTTLE_LIMIT = 600;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  INTAKE_THROTTLE_TTL_SECONDS = 60;

  /** Every other POST, PUT, PATCH and DELETE per signed-in user (or API key) per window. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  WRITE_THROTTLE_LIMIT = 120;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  WRITE_THROTTLE_TTL_SECONDS = 60;

  /**
   * Every GET per signed-in user (or API key) per window, over all routes together: a leaked
   * key or a runaway poller cannot spend the database on list and report reads without bound.
   * The console at its busiest (a paying run's page re-read every 1.5 s) uses a few dozen a
   * minute.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  READ_THROTTLE_LIMIT = 1200;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  READ_THROTTLE_TTL_SECONDS = 60;

  /**
   * Webhook redeliveries and test pings, together, per company per window (each one makes us
   * call its endpoint).
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  REDELIVER_THROTTLE_LIMIT = 30;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  REDELIVER_THROTTLE_TTL_SECONDS = 600;

  @Matches(/^\d+(b|kb|mb)$/i, { message: 'BODY_LIMIT must look like 256kb, 1mb or 1024b' })
  BODY_LIMIT = '256kb';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /**
   * auto: readable lines in a terminal, JSON lines when stdout is not a terminal or in
   * production; json or pretty force one (see chooseLogFormat).
   */
  @IsIn(LOG_FORMATS)
  LOG_FORMAT: RequestedLogFormat = 'auto';

  /** Serve the Swagger UI at /docs and the OpenAPI JSON at /docs-json; off, both answer 404. */
  @Transform(toBool)
  @IsBoolean()
  API_DOCS = true;

  /**
   * Browser origins allowed to call the API (CORS), comma-separated exact origins such as
   * https://app.example.com; empty (the default) allows none.
   */
  @IsOptional()
  @Matches(/^https?:\/\/[^/,\s]+\/?(,\s*https?:\/\/[^/,\s]+\/?)*$/, {
    message: 'CORS_ORIGINS must be comma-separated origins like https://app.example.com',
  })
  CORS_ORIGINS?: string;

  /**
   * Bearer token that /metrics requires (Prometheus format). Unset: /metrics answers 404.
   * At least 16 characters.
   */
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters' })
  METRICS_TOKEN?: string;

  /**
   * A worker process (npm run start:worker) serves /metrics on this port when set, with the
   * same token; the API process serves it on PORT.
   */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  WORKER_METRICS_PORT?: number;

  /** How long an Idempotency-Key and its answer are kept, in hours. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(168)
  IDEMPOTENCY_KEY_TTL_HOURS = 24;

  /** Lifetime of the queue dashboard's browser session cookie. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(720)
  QUEUE_DASHBOARD_SESSION_MINUTES = 30;

  /** How often workers look for timer jobs that exhausted their retries (and re-arm them). */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  TIMER_SWEEP_MS = 60000;

  /**
   * Failed jobs one sweep reads per queue, at most: half the newest, half from where the last
   * sweep stopped (a larger failed set is covered over several sweeps).
   */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  TIMER_SWEEP_MAX_SCANNED = 20000;

  /**
   * Fastify's trustProxy: false, true, or the proxies' addresses and subnets (comma-separated).
   * Not a hop count: Fastify 5.12 trusts nothing for one, since a count cannot tell the proxy
   * from a client that forges X-Forwarded-For; refused here rather than silently ignored.
   */
  @IsString()
  @Matches(/^(?!\s*\d+\s*$)/, {
    message:
      "TRUST_PROXY must be true, false, or the proxies' addresses or subnets (e.g. loopback, 10.0.0.0/8), not a hop count",
  })
  @Validate(ProxyList)
  @Validate(NamedProxiesInProduction)
  TRUST_PROXY = 'false';

  @Transform(toInt)
  @IsInt()
  @Min(1024)
  ARGON2_MEMORY_KIB = 19456;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  ARGON2_TIME_COST = 2;

  @Transform(toInt)
  @IsInt()
  @Min(50)
  OUTBOX_POLL_MS = 250;

  /** The events sequencer's and stream hub's fallback poll (they are woken after commits). */
  @Transform(toInt)
  @IsInt()
  @Min(20)
  EVENTS_POLL_MS = 500;

  /**
   * A comment line on every event stream this often, so proxies keep it open. At most 20 s:
   * the console takes a stream silent for 45 s as dead and opens another.
   */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(20_000)
  EVENTS_HEARTBEAT_MS = 15_000;

  /** A stream reader this many events behind (written, not yet taken by its socket) is cut off. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  EVENTS_STREAM_MAX_BEHIND = 1000;

  /** …or this many bytes behind. */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  EVENTS_STREAM_MAX_BEHIND_BYTES = 1_048_576;

  /**
   * Open streams one user or API key may have on one API process: a console in a few tabs, a
   * bot's few readers. Each stream costs a socket and a look at every event, so an account
   * opening thousands would tax every tenant's.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  EVENTS_STREAMS_PER_SUBJECT = 10;

  /** Events are kept (listed, replayed) this many days, then pruned. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  EVENTS_RETENTION_DAYS = 30;

  /** An agent may hold at most this many seat hours in any 168 hours (whatever its time zone). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(168)
  WEEKLY_HOURS_CAP = 48;

  /** Cancelling a seat less than this long before the shift starts counts against the agent. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  LATE_CANCEL_WINDOW_MINUTES = 120;

  /** Check-in opens this long before a shift starts. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(240)
  CHECK_IN_OPENS_MINUTES = 15;

  /**
   * A started shift with a free seat can still be claimed while at least this many minutes of it
   * remain (before the start, claims are always open). 720, the longest shift, turns joining a
   * started shift off.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(720)
  SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END = 30;

  /** A claimed ticket with no activity for this long goes back to the queue. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  HANDLE_TIMEOUT_MINUTES = 30;

  /** A released ticket is not offered to the agent who released it for this long. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  RELEASE_COOLDOWN_MINUTES = 30;

  /**
   * After an agent's shift ends (or they check out), unresolved tickets wait this long. At least
   * a minute: the release looks for the agent's claims when it runs, and a claim still
   * committing beside the check-out (which takes no lock of the agent) must have landed by then.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  SHIFT_END_TICKET_GRACE_MINUTES = 10;

  /**
   * A company may reopen a resolved ticket for this long; earnings stay pending until then.
   * Decimals allowed so a demo can use seconds (0.01 h = 36 s).
   */
  @Transform(toDecimal)
  @IsNumber()
  @Min(0.001)
  REOPEN_WINDOW_HOURS = 72;

  /**
   * How often each worker process looks for billing periods to close (invoices). Closing is
   * safe to run anywhere at once: one company's invoicing is serialised in PostgreSQL.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  BILLING_SWEEP_MS = 60000;

  /**
   * How often a worker process rewrites agents' quality tiers (the push router's order) from
   * ratings and reviews; a new rating reaches routing within this interval.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  QUALITY_REFRESH_MS = 60000;

  /**
   * Credit control: a company whose receivable in a currency passes this (minor units), unless
   * finance set its own limit, is held: it cannot post or enlarge shifts until it pays.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  CREDIT_LIMIT_MINOR = 500000;

  /**
   * CREDIT_LIMIT_MINOR for a currency whose minor unit is worth another amount, as `CUR=minor`
   * pairs (e.g. `JPY=750000,IDR=8000000000`); a company's own limit, set by finance, still
   * applies to every currency.
   */
  @Transform(withoutSpaces)
  @Validate(MinorByCurrency, [0])
  CREDIT_LIMIT_MINOR_BY_CURRENCY = '';

  /** Days an invoice may stay past due (its charge failed) before the company is held. */
  @Transform(toDecimal)
  @IsNumber()
  @Min(0)
  PAST_DUE_GRACE_DAYS = 7;

  /** The platform's fee on each resolved ticket, in basis points of the rate (1500 = 15%). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10000)
  PLATFORM_FEE_BPS = 1500;

  /** Stripe: required in production; without it elsewhere an in-process fake Stripe is used. */
  @ValidateIf((env: Env) => env.NODE_ENV === 'production' || env.STRIPE_SECRET_KEY !== undefined)
  @Matches(/^(sk|rk)_(live|test)_\w+$/, {
    message:
      'STRIPE_SECRET_KEY must be a Stripe secret key (sk_live_… or sk_test_…); required in production',
  })
  STRIPE_SECRET_KEY?: string;

  /** Signing secrets of the platform and Connect webhook endpoints (whsec_…). */
  @ValidateIf((env: Env) => env.STRIPE_SECRET_KEY !== undefined)
  @Matches(/^whsec_\w+$/, {
    message: 'STRIPE_WEBHOOK_SECRET must be a whsec_… secret when STRIPE_SECRET_KEY is set',
  })
  STRIPE_WEBHOOK_SECRET?: string;

  @ValidateIf((env: Env) => env.STRIPE_SECRET_KEY !== undefined)
  @Matches(/^whsec_\w+$/, {
    message: 'STRIPE_CONNECT_WEBHOOK_SECRET must be a whsec_… secret when STRIPE_SECRET_KEY is set',
  })
  STRIPE_CONNECT_WEBHOOK_SECRET?: string;

  /** Another Stripe API base URL (tests point it at their fake). */
  @IsOptional()
  @Matches(/^https?:\/\/[^/]+$/, { message: 'STRIPE_API_BASE must look like http://host:port' })
  STRIPE_API_BASE?: string;

  /**
   * How long one Stripe API call may take before we give up on it (and retry with the same
   * idempotency key, or find what the call did).
   */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(80000)
  STRIPE_TIMEOUT_MS = 20000;

  /**
   * The in-process fake Stripe (no STRIPE_SECRET_KEY) starts its platform balance at this, in
   * every currency (minor units): large, so payouts pay as if funded; set it low to see a
   * payout run hold what the balance cannot cover.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  FAKE_STRIPE_BALANCE_MINOR = 1_000_000_000_000;

  /**
   * Stripe calls per second, of every process together (a payout run's transfers, billing,
   * onboarding, reads). Stripe's global limit is 100 requests/s live (25 in a sandbox), but
   * each endpoint has 25/s of its own unless Stripe raised it for the account, and a run is
   * nearly all POST /v1/transfers: above 25 only with such a raise.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  STRIPE_RATE_PER_SECOND = 25;

  /** Agents with less available than this (minor units) are held in a payout run. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  PAYOUT_MINIMUM_MINOR = 1000;

  /**
   * The payout minimum of a currency, where PAYOUT_MINIMUM_MINOR would not fit its money:
   * `SEK=10000,JPY=1500` (100 kr, ¥1,500). Each run keeps the minimum it was drafted with.
   */
  @Transform(withoutSpaces)
  @Validate(MinorByCurrency, [1])
  PAYOUT_MINIMUM_MINOR_BY_CURRENCY = '';

  /**
   * A finance adjustment larger than this (absolute, minor units of its currency) waits as
   * `pending` until a second finance user approves it; smaller ones post at once, as long as
   * what their maker moved for the same agent without approval in the last 24 hours stays
   * within it too.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  ADJUSTMENT_APPROVAL_MINOR = 10000;

  /** ADJUSTMENT_APPROVAL_MINOR for a currency, as `CUR=minor` pairs (e.g. `SEK=100000,JPY=15000`). */
  @Transform(withoutSpaces)
  @Validate(MinorByCurrency, [0])
  ADJUSTMENT_APPROVAL_MINOR_BY_CURRENCY = '';

  /** Where agents come back to after Stripe onboarding. */
  @Matches(/^https?:\/\/.+/, { message: 'PUBLIC_URL must be an http(s) URL' })
  PUBLIC_URL = 'http://localhost:3000';

  /** Webhook retries: first delay (doubling each time) and attempts (14 × from 10 s ≈ 24 h). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  WEBHOOK_BACKOFF_MS = 10000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(50)
  WEBHOOK_ATTEMPTS = 14;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  WEBHOOK_TIMEOUT_MS = 10000;

  /**
   * Deliveries in flight per worker process, and how many of them may go to one company. A
   * company's receiver that hangs (each attempt waits WEBHOOK_TIMEOUT_MS) holds its share, not
   * every slot: the others' deliveries go on. A job over the share waits a moment and is tried
   * again, without spending an attempt.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  WEBHOOK_CONCURRENCY = 32;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  WEBHOOK_CONCURRENCY_PER_COMPANY = 8;

  /**
   * Lets webhooks reach loopback, private and link-local addresses (development and tests with
   * local receivers). Never in production: it reopens the SSRF hole. Credentials stay refused.
   */
  @Transform(toBool)
  @IsBoolean()
  WEBHOOK_ALLOW_PRIVATE_URLS = false;

  /** A job whose worker died is retried after this long (BullMQ lock and stalled check). */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  JOB_LOCK_MS = 30000;

  /** Readiness fails this long before the server stops accepting (behind a balancer: 5000+). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  SHUTDOWN_DRAIN_DELAY_MS = 0;

  /** After the drain delay, in-flight work has this long before the process exits 1. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  SHUTDOWN_TIMEOUT_MS = 25000;
}

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
