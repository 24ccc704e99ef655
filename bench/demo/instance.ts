/**
 * Where the demo runs: its own API process with demo settings (fresh database, workers on, fast
 * timers, its own queue prefix), or an instance someone already runs at HANDOFF_URL.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Redis from 'ioredis';
import { dropDatabase, freshDatabase, JWT_SECRET, REDIS_URL, startApi } from '../support';
import { detail, say } from './narrate';
import { DayScale } from './scale';

/** The demo's own database (DEMO_DATABASE), dropped and created afresh on every run. */
export function demoDatabase(): string {
  const name = process.env.DEMO_DATABASE?.trim() || 'handoff_demo';
  // It goes into DROP/CREATE DATABASE as is: a plain identifier only.
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new Error('DEMO_DATABASE must be a lower-case identifier (letters, digits, _)');
  }
  return name;
}

export interface FinanceUser {
  email: string;
  password: string;
}

export interface Instance {
  url: string;
  /** Started by the demo (and so configured by it), or someone else's. */
  own: boolean;
  maker: FinanceUser;
  checker: FinanceUser;
  /** Resolves once the finance users exist (created by the CLI in the background). */
  financeReady: Promise<void>;
  /** How long earnings stay pending, when known. */
  reopenWindowMs: number | null;
  stop: (keepData: boolean) => Promise<void>;
}

/**
 * Demo timers: seconds instead of hours, so the whole money cycle fits in a few minutes. The
 * reopen window and the payout minimum follow the size of the day (scale.ts).
 */
export const demoSettings = (scale: DayScale): Record<string, string> => ({
  WORKERS: 'on',
  // 36 s (18 s on a day under 200 tickets) before earnings become available
  REOPEN_WINDOW_HOURS: String(scale.reopenWindowHours),
  CHECK_IN_OPENS_MINUTES: '15',
  HANDLE_TIMEOUT_MINUTES: '1', // the shortest the setting allows
  RELEASE_COOLDOWN_MINUTES: '1',
  SHIFT_END_TICKET_GRACE_MINUTES: '1',
  // €25 at 500 tickets (€5 for the smallest day), so a trainee's short day is held below it
  PAYOUT_MINIMUM_MINOR: String(scale.payoutMinimumMinor),
  STRIPE_RATE_PER_SECOND: '20',
  OUTBOX_POLL_MS: '200', // timers (SLA, release of earnings) fire within a fifth of a second
  WEBHOOK_BACKOFF_MS: '1000',
  WEBHOOK_ATTEMPTS: '3',
  WEBHOOK_ALLOW_PRIVATE_URLS: 'true', // the companies' receiver listens on 127.0.0.1
  // The product's request limits stay on (startApi turns them off for benchmarks), but a day
  // played in three minutes has each bot escalate faster than a real one would.
  RATE_LIMITS: 'true',
  INTAKE_THROTTLE_LIMIT: '6000',
  READ_THROTTLE_LIMIT: '60000',
  COMPANY_KEYS_THROTTLE_LIMIT: '60000',
  DB_POOL_SIZE: String(scale.dbPoolSize),
});

export async function openInstance(scale: DayScale): Promise<Instance> {
  const external = process.env.HANDOFF_URL?.trim();
  return external ? useExternal(external.replace(/\/+$/, ''), scale) : startOwn(scale);
}

async function startOwn(scale: DayScale): Promise<Instance> {
  const database = demoDatabase();
  // Its own queues and counters, also when several demos (or tests) share one Redis.
  const queuePrefix = process.env.DEMO_QUEUE_PREFIX?.trim() || `handoff-demo-${process.pid}`;
  const settings = demoSettings(scale);
  say(`Creating a fresh database "${database}" and migrating it…`);
  const databaseUrl = await freshDatabase(database);
  say('Starting the API with its workers (and the in-process fake Stripe)…');
  const env = { ...settings, DATABASE_URL: databaseUrl, QUEUE_PREFIX: queuePrefix };
  const password = 'finance-demo-password';
  const maker = { email: 'ava.finance@handoff.example', password };
  const checker = { email: 'bo.finance@handoff.example', password };
  const api = await startApi(env).catch(async (e: unknown) => {
    await dropDatabase(database);
    throw e;
  });
  // The CLI runs only need the migrated database. Each is a whole Nest process: started once
  // the API is up (three booting at once take several times as long on a small machine), they
  // run while the day begins; payouts wait for them.
  const staff = Promise.all(
    [maker, checker].map((user) => createStaffUser(user, databaseUrl, queuePrefix)),
  );
  const financeReady = staff.then((outputs) => {
    say('Operator step (done meanwhile): two finance staff users created with the CLI');
    [maker, checker].forEach((user, i) => {
      detail(
        `$ HANDOFF_PASSWORD=… node dist/src/cli.js users:create --role finance --email ${user.email}`,
      );
      detail(`  ${outputs[i]}`);
    });
  });
  financeReady.catch(() => undefined); // reported when the payouts await it
  const settled = () =>
    staff.then(
      () => undefined,
      () => undefined,
    );
  say(`API up on ${api.url}; settings: ${describeSettings(settings)}`);
  return {
    url: api.url,
    financeReady,
    own: true,
    maker,
    checker,
    reopenWindowMs: scale.reopenWindowHours * 3_600_000,
    stop: async (keepData) => {
      await api.stop();
      await settled();
      // Queue keys are of no use once this process's prefix is gone; the database may be.
      await dropRedisKeys(queuePrefix);
      if (!keepData) await dropDatabase(database);
    },
  };
}

const SHOWN = ['REOPEN_WINDOW_HOURS', 'HANDLE_TIMEOUT_MINUTES', 'PAYOUT_MINIMUM_MINOR'];

function describeSettings(settings: Record<string, string>): string {
  return SHOWN.map((k) => `${k}=${settings[k]}`).join(' ');
}

/** The one step outside the HTTP API: staff users exist only through the CLI. */
function createStaffUser(user: FinanceUser, databaseUrl: string, queuePrefix: string) {
  const cli = join(__dirname, '..', '..', 'src', 'cli.js');
  const args = [cli, 'users:create', '--role', 'finance', '--email', user.email];
  return new Promise<string>((resolve, reject) => {
    const proc = spawn(process.execPath, args, {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        DATABASE_URL: databaseUrl,
        REDIS_URL,
        JWT_SECRET,
        QUEUE_PREFIX: queuePrefix,
        LOG_LEVEL: 'warn',
        HANDOFF_PASSWORD: user.password,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    proc.on('error', reject);
    proc.on('exit', (code) =>
      code === 0
        ? resolve(out.trim().split('\n').pop() ?? '')
        : reject(new Error(`users:create exited ${code}:\n${out}`)),
    );
  });
}

/** Queues, delayed jobs and throttle counters of this run, so Redis is left as found. */
async function dropRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Someone else's instance: its settings are its own; finance users come from the environment. */
async function useExternal(url: string, scale: DayScale): Promise<Instance> {
  const need = [
    'DEMO_FINANCE_MAKER_EMAIL',
    'DEMO_FINANCE_MAKER_PASSWORD',
    'DEMO_FINANCE_CHECKER_EMAIL',
    'DEMO_FINANCE_CHECKER_PASSWORD',
  ];
  const missing = need.filter((k) => !process.env[k]);
  if (missing.length > 0) {
    throw new Error(
      `HANDOFF_URL is set, so the demo uses that instance and needs two finance users ` +
        `(create them with: npm run cli -- users:create --role finance --email …).\n` +
        `Missing: ${missing.join(', ')}`,
    );
  }
  say(`Using the running instance at ${url} (its own settings and workers)`);
  detail(`For a day of this size it should run with: ${recommended(scale)}`);
  return {
    url,
    own: false,
    maker: {
      email: process.env.DEMO_FINANCE_MAKER_EMAIL!,
      password: process.env.DEMO_FINANCE_MAKER_PASSWORD!,
    },
    checker: {
      email: process.env.DEMO_FINANCE_CHECKER_EMAIL!,
      password: process.env.DEMO_FINANCE_CHECKER_PASSWORD!,
    },
    financeReady: Promise.resolve(),
    reopenWindowMs: null,
    stop: async () => undefined,
  };
}

function recommended(scale: DayScale): string {
  return `${describeSettings(demoSettings(scale))} AUTH_THROTTLE_LIMIT=1000`;
}
