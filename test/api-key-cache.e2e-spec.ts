import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { ConfigService } from '@nestjs/config';
import { ApiKeyCache } from '../src/modules/companies/api-key-cache';
import { ApiKeysRepository } from '../src/modules/companies/api-keys.repository';
import { createApiKey, registerCompany, type SignedIn } from './support/factories';
import { createTestApp, type TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/**
 * Verified API keys are cached in each API process (issue 20: a query less per bot request);
 * a revocation in one process is refused by every other at once, through Redis, and the cache's
 * age bounds the delay when that message is lost. Two app instances on one database and one
 * Redis prefix stand for two API processes behind a balancer.
 */
describe('API key cache across processes', () => {
  const prefix = `test-keys-${randomBytes(3).toString('hex')}`;
  let a: TestApp;
  let b: TestApp;
  let company: SignedIn;
  beforeAll(async () => {
    a = await createTestApp({ env: { QUEUE_PREFIX: prefix, API_KEY_CACHE_SECONDS: '300' } });
    b = await createTestApp({ shareWith: a });
    company = await registerCompany(a, 'Cached Co');
  });
  afterAll(async () => {
    await Promise.all([b.close(), a.close()]);
  });

  const me = (t: TestApp, key: string) =>
    t.http.get('/v1/bot/me').set('Authorization', `Bearer ${key}`);

  it('serves a verified key without reading it again, and refuses it everywhere once revoked', async () => {
    const key = await createApiKey(a, company, 'cached');
    const reads = jest.spyOn(b.app.get(ApiKeysRepository), 'activeByHash');
    try {
      for (let i = 0; i < 5; i++) expect((await me(b, key)).status).toBe(200);
      expect(reads).toHaveBeenCalledTimes(1);
    } finally {
      reads.mockRestore();
    }

    const [{ id }] = await a.db.query(`SELECT id FROM api_keys WHERE prefix = $1`, [
      key.slice(0, 12),
    ]);
    const revokedAt = Date.now();
    await a.http.delete(`/v1/companies/me/api-keys/${id}`).set(company.auth).expect(204);
    // The revoking process at once; the other as soon as Redis delivers (milliseconds; the
    // bound allows for a loaded test machine), though its cache would keep the key for five
    // minutes.
    expect((await me(a, key)).status).toBe(401);
    await waitFor(async () => (await me(b, key)).status === 401, 'process b to refuse it', 5000);
    const delayMs = Date.now() - revokedAt;
    expect(delayMs).toBeLessThan(5000);
    const refused = await me(b, key);
    expect(refused.body.error.code).toBe('INVALID_API_KEY');
  });

  it('does not cache a key read just before a revocation it then hears of', async () => {
    const key = await createApiKey(a, company, 'raced');
    const cache = b.app.get(ApiKeyCache);
    const ticket = cache.ticket();
    const [row] = await a.db.query(`SELECT id, company_id FROM api_keys WHERE prefix = $1`, [
      key.slice(0, 12),
    ]);
    // The revocation is heard between the read and the caching: the read is not kept.
    await a.http.delete(`/v1/companies/me/api-keys/${row.id}`).set(company.auth).expect(204);
    await waitFor(async () => cache.ticket() !== ticket, 'process b to hear of it', 5000);
    await cache.set('some-hash', row, ticket);
    expect(cache.get('some-hash')).toBeUndefined();
  });

  it('does not cache a key read before the process listened for revocations (one it may have missed)', async () => {
    const key = await createApiKey(a, company, 'early');
    const [row] = await a.db.query(`SELECT id, company_id FROM api_keys WHERE prefix = $1`, [
      key.slice(0, 12),
    ]);
    // A process whose subscription at start failed (Redis away): it listens from the first key
    // it would cache. A revocation published before that was never heard.
    const late = new ApiKeyCache(b.app.get(ConfigService));
    try {
      await late.set('read-before', row, late.ticket());
      expect(late.get('read-before')).toBeUndefined();
      // Listening now: the next read is kept.
      await late.set('read-after', row, late.ticket());
      expect(late.get('read-after')).toEqual(row);
    } finally {
      await late.onModuleDestroy();
    }
  });

  it('trusts and caches nothing while its subscription has lapsed, until it is subscribed again', async () => {
    const key = await createApiKey(a, company, 'lapsed');
    expect((await me(b, key)).status).toBe(200); // cached
    const cache = b.app.get(ApiKeyCache);
    // What ioredis says when its connection goes, then when it is back: revocations published
    // in between went unheard.
    const sub = (cache as unknown as { sub: EventEmitter }).sub;
    sub.emit('close');
    const reads = jest.spyOn(b.app.get(ApiKeysRepository), 'activeByHash');
    try {
      for (let i = 0; i < 3; i++) expect((await me(b, key)).status).toBe(200);
      expect(reads).toHaveBeenCalledTimes(3);
      sub.emit('ready'); // subscribes again
      await waitFor(async () => {
        await me(b, key);
        reads.mockClear();
        await me(b, key);
        return reads.mock.calls.length === 0;
      }, 'the key cached again once subscribed');
    } finally {
      reads.mockRestore();
    }
  });

  it('bounds the delay by API_KEY_CACHE_SECONDS when the revocation message is lost', async () => {
    const c = await createTestApp({
      shareWith: a,
      // Long enough that the read after the revocation below is surely within it.
      env: { QUEUE_PREFIX: `${prefix}-deaf`, API_KEY_CACHE_SECONDS: '3' },
    });
    try {
      const key = await createApiKey(a, company, 'deaf');
      expect((await me(c, key)).status).toBe(200);
      const [{ id }] = await a.db.query(`SELECT id FROM api_keys WHERE prefix = $1`, [
        key.slice(0, 12),
      ]);
      // Another prefix: c hears nothing of this revocation, and serves the key from its cache…
      await a.http.delete(`/v1/companies/me/api-keys/${id}`).set(company.auth).expect(204);
      expect((await me(c, key)).status).toBe(200);
      // …for at most API_KEY_CACHE_SECONDS.
      await waitFor(
        async () => (await me(c, key)).status === 401,
        'the cache entry to age',
        10_000,
      );
    } finally {
      await c.close();
    }
  });
});
