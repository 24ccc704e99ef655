import { join } from 'node:path';

/** The cheapest argon2id allowed: every journey registers and signs in users. */
const ARGON2 = { memoryKib: '1024', timeCost: '1' };

/**
 * One instance for every browser test: a fresh database, the built API with its workers and the
 * in-process fake Stripe (no STRIPE_SECRET_KEY), fast timers. Its URL goes to the tests as
 * CONSOLE_URL; the returned function stops it and drops the database.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  // The built helpers (npm run build first): the same the benchmarks and the demo start from.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const support = require(join(__dirname, '..', '..', 'dist', 'bench', 'support.js')) as {
    freshDatabase(name: string): Promise<string>;
    dropDatabase(name: string): Promise<void>;
    startApi(env: Record<string, string>): Promise<{ url: string; stop(): Promise<void> }>;
  };
  const database = `handoff_browser_${process.pid}`;
  const url = await support.freshDatabase(database);
  const api = await support.startApi({
    DATABASE_URL: url,
    QUEUE_PREFIX: `browser-${process.pid}`,
    WORKERS: 'on',
    OUTBOX_POLL_MS: '100',
    EVENTS_POLL_MS: '100',
    // Seats can be checked into well before the start, so a journey need not wait for it.
    CHECK_IN_OPENS_MINUTES: '15',
    // The company journey's webhook receiver listens on 127.0.0.1.
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    // Billing: periods close within a second of being due; a failed charge holds at once.
    BILLING_SWEEP_MS: '1000',
    PAST_DUE_GRACE_DAYS: '0',
    ARGON2_MEMORY_KIB: ARGON2.memoryKib,
    ARGON2_TIME_COST: ARGON2.timeCost,
  });
  process.env.CONSOLE_URL = api.url;
  process.env.CONSOLE_DATABASE_URL = url;
  // How createStaff (api.ts) hashes a staff user's password: as this instance does.
  process.env.CONSOLE_ARGON2_MEMORY_KIB = ARGON2.memoryKib;
  process.env.CONSOLE_ARGON2_TIME_COST = ARGON2.timeCost;
  return async () => {
    await api.stop();
    await support.dropDatabase(database);
  };
}
