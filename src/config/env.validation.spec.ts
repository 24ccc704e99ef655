import { ConfigError, Env, validateEnv } from './env.validation';
import { perCurrency } from './per-currency';

describe('validateEnv', () => {
  it('gives working defaults when nothing is set', () => {
    const env = validateEnv({});
    expect(env).toMatchObject({
      NODE_ENV: 'development',
      PORT: 3000,
      WORKERS: true,
      DATABASE_URL: undefined,
      REDIS_URL: 'redis://127.0.0.1:6379',
      MIGRATIONS_RUN: true,
      AUTH_THROTTLE_LIMIT: 10,
      AUTH_THROTTLE_TTL_SECONDS: 60,
      BODY_LIMIT: '256kb',
      JWT_ACCESS_TTL_SECONDS: 900,
      DB_POOL_SIZE: 8,
    });
  });

  it('converts strings and accepts on/off for booleans', () => {
    const env = validateEnv({ PORT: '8080', WORKERS: 'off', MIGRATIONS_RUN: 'false' });
    expect(env).toMatchObject({ PORT: 8080, WORKERS: false, MIGRATIONS_RUN: false });
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['WORKERS', 'maybe'],
    ['DATABASE_URL', 'mysql://localhost/x'],
    ['REDIS_URL', 'localhost:6379'],
    ['BODY_LIMIT', 'lots'],
    ['AUTH_THROTTLE_LIMIT', '0'],
    ['LOG_LEVEL', 'loud'],
    ['JWT_SECRET', 'short'],
    ['SECRETS_ENCRYPTION_KEY', 'a'.repeat(63)],
    ['SECRETS_ENCRYPTION_KEY_PREVIOUS', `${'a'.repeat(64)},short`],
    ['WEBHOOK_ALLOW_PRIVATE_URLS', 'sometimes'],
    ['CORS_ORIGINS', '*'],
    ['CORS_ORIGINS', 'https://app.example.com/path'],
    ['CORS_ORIGINS', 'app.example.com'],
    ['METRICS_TOKEN', 'short'],
    ['IDEMPOTENCY_KEY_TTL_HOURS', '0'],
    ['SHIFT_END_TICKET_GRACE_MINUTES', '0'],
    ['TRUST_PROXY', '1'],
    ['TRUST_PROXY', 'on'],
    ['TRUST_PROXY', 'loopback, proxy.internal'],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['PAYOUT_MINIMUM_MINOR_BY_CURRENCY', 'sek=10000'],
    ['PAYOUT_MINIMUM_MINOR_BY_CURRENCY', 'SEK:10000'],
    ['PAYOUT_MINIMUM_MINOR_BY_CURRENCY', 'SEK=0'],
    ['PAYOUT_MINIMUM_MINOR_BY_CURRENCY', 'SEK=100,'],
    ['ADJUSTMENT_APPROVAL_MINOR_BY_CURRENCY', 'JPY=-5'],
    ['PAYOUT_MINIMUM_MINOR_BY_CURRENCY', 'SEK=10000,SEK=100'],
    ['PAYOUT_MINIMUM_MINOR_BY_CURRENCY', 'SKE=10000'],
    ['CREDIT_LIMIT_MINOR_BY_CURRENCY', 'JPY=1.5'],
  ])('names %s when it is malformed (%s)', (name, value) => {
    expect(() => validateEnv({ [name]: value })).toThrow(ConfigError);
    try {
      validateEnv({ [name]: value });
    } catch (e) {
      expect((e as ConfigError).problems).toEqual([expect.stringContaining(`${name}:`)]);
    }
  });

  it('refuses TRUST_PROXY=true in production (any client could forge its address), not elsewhere', () => {
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(64),
      STRIPE_SECRET_KEY: 'sk_live_abc123',
      STRIPE_WEBHOOK_SECRET: 'whsec_abc',
      STRIPE_CONNECT_WEBHOOK_SECRET: 'whsec_def',
    };
    const problems = (env: Record<string, string>) => {
      try {
        validateEnv(env);
        return [];
      } catch (e) {
        return (e as ConfigError).problems.filter((p) => p.startsWith('TRUST_PROXY'));
      }
    };
    expect(problems({ ...production, TRUST_PROXY: 'true' })).toEqual([
      expect.stringContaining('name the proxies'),
    ]);
    for (const everyone of ['0.0.0.0/0', 'loopback, ::/0']) {
      expect(problems({ ...production, TRUST_PROXY: everyone })).toHaveLength(1);
    }
    expect(problems({ ...production, TRUST_PROXY: '10.0.0.0/8' })).toEqual([]);
    expect(problems({ TRUST_PROXY: 'true' })).toEqual([]);
  });

  it('requires a strong JWT_SECRET, a real Stripe key with its webhook secrets, the database, Redis and an https PUBLIC_URL in production, and no webhooks to private addresses, no switched-off rate limits, no other Stripe and no test-mode key unless staging says so', () => {
    const stripe = {
      STRIPE_SECRET_KEY: 'sk_live_abc123',
      STRIPE_WEBHOOK_SECRET: 'whsec_abc',
      STRIPE_CONNECT_WEBHOOK_SECRET: 'whsec_def',
    };
    expect(() => validateEnv({ NODE_ENV: 'production', ...stripe })).toThrow(/JWT_SECRET/);
    expect(() => validateEnv({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) })).toThrow(
      /STRIPE_SECRET_KEY/,
    );
    expect(() =>
      validateEnv({
        NODE_ENV: 'production',
        JWT_SECRET: 'x'.repeat(32),
        STRIPE_SECRET_KEY: 'sk_live_abc',
      }),
    ).toThrow(/STRIPE_WEBHOOK_SECRET/);
    expect(() =>
      validateEnv({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), ...stripe }),
    ).toThrow(/SECRETS_ENCRYPTION_KEY/);
    const complete = {
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(32),
      SECRETS_ENCRYPTION_KEY: 'k'.repeat(43),
      DATABASE_URL: 'postgres://handoff@db.internal:5432/handoff',
      REDIS_URL: 'redis://redis.internal:6379',
      PUBLIC_URL: 'https://console.handoff.example',
      ...stripe,
    };
    expect(() => validateEnv(complete)).not.toThrow();
    // Unset, a local PostgreSQL (or an embedded one) and a local Redis would be used.
    for (const name of ['DATABASE_URL', 'REDIS_URL'] as const) {
      const { [name]: _unset, ...rest } = complete;
      expect(() => validateEnv(rest)).toThrow(
        new RegExp(`${name}: required when NODE_ENV=production`),
      );
      expect(() => validateEnv({ ...rest, NODE_ENV: 'development' })).not.toThrow();
    }
    // The session cookies are Secure only under an https PUBLIC_URL (its default is http).
    const { PUBLIC_URL: _url, ...noUrl } = complete;
    for (const env of [noUrl, { ...complete, PUBLIC_URL: 'http://console.handoff.example' }]) {
      expect(() => validateEnv(env)).toThrow(/PUBLIC_URL: must be the console's https URL/);
      expect(() => validateEnv({ ...env, NODE_ENV: 'development' })).not.toThrow();
    }
    // Webhooks to internal addresses are for local receivers, never production.
    expect(() => validateEnv({ ...complete, WEBHOOK_ALLOW_PRIVATE_URLS: 'true' })).toThrow(
      /WEBHOOK_ALLOW_PRIVATE_URLS: must be off when NODE_ENV=production/,
    );
    expect(() =>
      validateEnv({ ...complete, NODE_ENV: 'test', WEBHOOK_ALLOW_PRIVATE_URLS: 'true' }),
    ).not.toThrow();
    // Benchmarks turn the rate limits off, tests point Stripe at their fake: never production.
    expect(() => validateEnv({ ...complete, RATE_LIMITS: 'false' })).toThrow(
      /RATE_LIMITS: must be on when NODE_ENV=production/,
    );
    expect(() => validateEnv({ ...complete, STRIPE_API_BASE: 'http://stripe-mock:12111' })).toThrow(
      /STRIPE_API_BASE: must be unset when NODE_ENV=production/,
    );
    // A test-mode key takes cards and pays runs with no money moving: staging says so.
    for (const key of ['sk_test_abc123', 'rk_test_abc123']) {
      expect(() => validateEnv({ ...complete, STRIPE_SECRET_KEY: key })).toThrow(
        /STRIPE_SECRET_KEY: a test-mode key moves no money; with NODE_ENV=production it needs STRIPE_TEST_MODE_IN_PRODUCTION=true/,
      );
      expect(() =>
        validateEnv({
          ...complete,
          STRIPE_SECRET_KEY: key,
          STRIPE_TEST_MODE_IN_PRODUCTION: 'true',
        }),
      ).not.toThrow();
    }
    expect(() => validateEnv({ ...complete, STRIPE_SECRET_KEY: 'rk_live_abc123' })).not.toThrow();
    // Tests lower argon2's cost to go fast: never production, where a stolen hash would be cheap.
    for (const weak of [{ ARGON2_MEMORY_KIB: '1024' }, { ARGON2_TIME_COST: '1' }]) {
      expect(() => validateEnv({ ...complete, ...weak })).toThrow(
        /ARGON2_MEMORY_KIB, ARGON2_TIME_COST: at least 19456 and 2 when NODE_ENV=production/,
      );
    }
    for (const dev of [
      { ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' },
      { RATE_LIMITS: 'false' },
      { STRIPE_API_BASE: 'http://127.0.0.1:12111' },
      { STRIPE_SECRET_KEY: 'sk_test_abc123' },
    ]) {
      expect(() => validateEnv({ ...complete, ...dev, NODE_ENV: 'development' })).not.toThrow();
    }
  });

  it('reads amounts per currency, spaces allowed, the default for the others', () => {
    const env = validateEnv({
      PAYOUT_MINIMUM_MINOR: '1000',
      PAYOUT_MINIMUM_MINOR_BY_CURRENCY: 'SEK=10000, JPY=1500',
      ADJUSTMENT_APPROVAL_MINOR_BY_CURRENCY: 'JPY=0',
    });
    const minimum = perCurrency(env.PAYOUT_MINIMUM_MINOR, env.PAYOUT_MINIMUM_MINOR_BY_CURRENCY);
    expect(['SEK', 'JPY', 'EUR'].map(minimum)).toEqual([10000, 1500, 1000]);
    const approval = perCurrency(
      env.ADJUSTMENT_APPROVAL_MINOR,
      env.ADJUSTMENT_APPROVAL_MINOR_BY_CURRENCY,
    );
    expect(['JPY', 'EUR'].map(approval)).toEqual([0, 10000]);
    expect(perCurrency(1000, validateEnv({}).PAYOUT_MINIMUM_MINOR_BY_CURRENCY)('SEK')).toBe(1000);
  });

  it('names a bad secret by its length and masks a password in a bad URL, never echoing them', () => {
    const problems = (raw: Record<string, string>) => {
      try {
        validateEnv(raw);
      } catch (e) {
        return (e as ConfigError).problems;
      }
      throw new Error('expected a ConfigError');
    };
    const secret = 'short-but-secret';
    expect(problems({ JWT_SECRET: secret })).toEqual([
      expect.stringMatching(/^JWT_SECRET: .* \(got 16 characters\)$/),
    ]);
    const good = Buffer.alloc(32, 7).toString('base64url');
    const [previous] = problems({ SECRETS_ENCRYPTION_KEY_PREVIOUS: `${good},oops` });
    expect(previous).not.toContain(good);
    const [url] = problems({ DATABASE_URL: 'mysql://app:hunter2@db.internal:3306/handoff' });
    expect(url).toContain('"mysql://app:***@db.internal:3306/handoff"');
    expect(url).not.toContain('hunter2');
    for (const [name, value] of Object.entries({
      METRICS_TOKEN: 'tiny',
      STRIPE_SECRET_KEY: 'pk_live_wrong_kind_of_key',
    })) {
      expect(problems({ [name]: value }).join(' ')).not.toContain(value);
    }
    // Plain settings still show what was given.
    expect(problems({ PORT: 'eighty' })).toEqual([expect.stringContaining('(got "eighty")')]);
  });

  it('treats empty strings as unset', () => {
    expect(validateEnv({ PORT: '', DATABASE_URL: '' })).toMatchObject({
      PORT: 3000,
      DATABASE_URL: undefined,
    });
  });
});

describe('.env.example', () => {
  it('documents every variable the process reads', () => {
    const { readFileSync } = jest.requireActual<typeof import('node:fs')>('node:fs');
    const example = readFileSync(`${__dirname}/../../.env.example`, 'utf8');
    const documented = new Set([...example.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const read = Object.keys(new Env());
    const missing = [...read, 'DATABASE_URL', 'JWT_SECRET'].filter((v) => !documented.has(v));
    expect(missing).toEqual([]);
  });
});
