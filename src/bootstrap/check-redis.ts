import Redis from 'ioredis';

export class RedisUnavailableError extends Error {
  constructor(url: string, cause: string) {
    super(
      `Redis is not reachable at ${redactUrl(url)} (${cause}). Handoff keeps its job queues and ` +
        'rate-limit counters in Redis and cannot start without it. Start a local server with ' +
        '`redis-server --daemonize yes --bind 127.0.0.1 --port 6379` (Debian: apt install ' +
        'redis-server), or point REDIS_URL at a reachable instance, e.g. ' +
        'REDIS_URL=redis://user:password@host:6379/0. For queues, configure it with ' +
        '`maxmemory-policy noeviction`.',
    );
    this.name = 'RedisUnavailableError';
  }
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** One PING with a short timeout and no retries: fail at start-up, not on the first request. */
export async function checkRedis(url: string, timeoutMs = 2000): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => undefined); // reported through the rejected connect below
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    throw new RedisUnavailableError(url, (e as Error).message || String(e));
  } finally {
    client.disconnect();
  }
}
