import { Logger } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import Redis from 'ioredis';
import type { Env } from '../../config/env.validation';
import { ApiKeyCache } from './api-key-cache';
import type { ApiKeyOwnerRow } from './api-keys.repository';

/** A cache whose Redis refuses connections (nothing listens on port 1). */
function cacheWithoutRedis(): ApiKeyCache {
  const env: Record<string, unknown> = {
    API_KEY_CACHE_SECONDS: 30,
    QUEUE_PREFIX: 'spec',
    REDIS_URL: 'redis://127.0.0.1:1',
  };
  return new ApiKeyCache({ get: (k: string) => env[k] } as unknown as ConfigService<Env, true>);
}

describe('ApiKeyCache with Redis away', () => {
  const owner = { id: 'k1', company_id: 'c1' } as unknown as ApiKeyOwnerRow;

  it('drops the failed subscriber and waits before trying again; nothing is cached', async () => {
    const cache = cacheWithoutRedis();
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const disconnect = jest.spyOn(Redis.prototype, 'disconnect');
    const listen = jest.spyOn(cache as unknown as { listen: () => Promise<void> }, 'listen');
    try {
      await cache.set('h', owner, cache.ticket());
      expect(listen).toHaveBeenCalledTimes(1);
      expect(disconnect).toHaveBeenCalledTimes(1); // not left reconnecting for ever
      // Requests meanwhile neither wait for nor start another attempt.
      for (let i = 0; i < 20; i++) await cache.set('h', owner, cache.ticket());
      expect(listen).toHaveBeenCalledTimes(1);
      expect(cache.get('h')).toBeUndefined();
      // Once the pause is over, the next request tries again.
      (cache as unknown as { retryAt: number }).retryAt = 0;
      await cache.set('h', owner, cache.ticket());
      expect(listen).toHaveBeenCalledTimes(2);
      expect(disconnect).toHaveBeenCalledTimes(2);
    } finally {
      disconnect.mockRestore();
      warn.mockRestore();
      await cache.onModuleDestroy();
    }
  });
});
