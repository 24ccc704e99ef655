import Redis from 'ioredis';
import { Client } from 'pg';

/** The server tests run against; each test file gets its own database on it. */
export const TEST_PG_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function databaseUrl(name: string): string {
  const u = new URL(TEST_PG_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Connects to the maintenance database with a short timeout (never the retrying pool). */
export async function adminClient(): Promise<Client> {
  const client = new Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  return client;
}

/** Fails in seconds with a message saying what to start, instead of hanging the run. */
export async function checkServices(): Promise<void> {
  const problems: string[] = [];
  try {
    const pg = await adminClient();
    await pg.end();
  } catch (e) {
    problems.push(
      `PostgreSQL is not reachable at ${TEST_PG_URL} (${(e as Error).message}). Start it with ` +
        '`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` or set TEST_DATABASE_URL.',
    );
  }
  const redis = new Redis(TEST_REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    problems.push(
      `Redis is not reachable at ${TEST_REDIS_URL} (${(e as Error).message}). Start it with ` +
        '`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no` or set TEST_REDIS_URL.',
    );
  } finally {
    redis.disconnect();
  }
  if (problems.length > 0) {
    throw new Error(`\nTests need PostgreSQL and Redis:\n- ${problems.join('\n- ')}\n`);
  }
}
