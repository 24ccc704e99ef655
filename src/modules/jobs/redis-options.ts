import Redis, { type RedisOptions } from 'ioredis';

/** ioredis options from a redis:// or rediss:// URL (BullMQ takes options, not URLs). */
export function redisOptionsFromUrl(url: string): RedisOptions {
  const u = new URL(url);
  const db = u.pathname.replace(/^\//, '');
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: db ? Number(db) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
  };
}

/**
 * How long the clients beside BullMQ's (pub/sub, rate-limit counters) wait for a reply. A Redis
 * that stops answering without closing the connection (a partition that sends no reset, a
 * paused server) fails no command by itself: ioredis waits for ever, and so did every event
 * positioning pass (its publish) and every rate-limited request.
 */
export const SIDE_COMMAND_TIMEOUT_MS = 1500;

/**
 * Options for those clients (not subscribers): one reconnect per command, SIDE_COMMAND_TIMEOUT_MS
 * for each, and the connection dropped when a reply is that late (socketTimeout): a timed-out
 * command alone left the hung connection `ready`, with every later one queued behind it.
 */
export function sideRedisOptions(url: string): RedisOptions {
  return {
    ...redisOptionsFromUrl(url),
    maxRetriesPerRequest: 1,
    commandTimeout: SIDE_COMMAND_TIMEOUT_MS,
    socketTimeout: SIDE_COMMAND_TIMEOUT_MS,
  };
}

/**
 * A client beside BullMQ's whose callers handle each command's failure: its connection errors
 * are logged once per SIDE_ERROR_LOG_MS rather than printed by ioredis as unhandled.
 */
export function sideRedis(url: string, log: (e: unknown) => void): Redis {
  const client = new Redis(sideRedisOptions(url));
  let last = 0;
  client.on('error', (e) => {
    if (Date.now() - last < SIDE_ERROR_LOG_MS) return;
    last = Date.now();
    log(e);
  });
  return client;
}

const SIDE_ERROR_LOG_MS = 10_000;
