import { ApiKeysRepository } from '../../src/modules/companies/api-keys.repository';
import { EventsService } from '../../src/modules/events/events.service';
import { createApiKey, registerAgent, registerCompany } from '../support/factories';
import { startRedis, RedisChild } from '../support/faults-redis';
import { SseClient } from '../support/sse-client';
import { createTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/*
 * Redis stops answering without closing its connections (SIGSTOP: a partition that sends no
 * reset, a paused server). Events live in PostgreSQL and Redis only speeds their delivery up,
 * so they must still be positioned and reach a stream opened meanwhile, and the API's writes
 * must not wait on their rate-limit counters for ever.
 */
describe('Redis not answering', () => {
  let redis: RedisChild;
  let t: TestApp;
  let base: string;
  const clients: SseClient[] = [];

  beforeAll(async () => {
    redis = await startRedis({ persistent: false });
    t = await createTestApp({
      env: { REDIS_URL: redis.url, EVENTS_POLL_MS: '100', EVENTS_HEARTBEAT_MS: '200' },
    });
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as { port: number };
    base = `http://127.0.0.1:${port}`;
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    redis?.resume();
    await t?.close();
    await redis?.dispose();
  });

  const record = (agentId: string, n: number) =>
    t.db.transaction((em) =>
      t.app.get(EventsService).record(em, { type: 'test.hang', agentId, data: { n } }),
    );
  const unpositioned = async () => {
    const [row]: { n: number }[] = await t.db.query(
      `SELECT count(*)::int AS n FROM events WHERE position IS NULL`,
    );
    return row.n;
  };

  it('positions events, delivers them to a stream opened meanwhile, and serves writes', async () => {
    const agent = await registerAgent(t);
    const company = await registerCompany(t);
    const key = await createApiKey(t, company);
    redis.pause();
    // Each positioning pass publishes to Redis: one whose publish never returned held every
    // event after it (in every process: the others hang the same way after their first pass).
    for (const n of [1, 2, 3]) {
      await record(agent.id, n);
      await waitFor(async () => (await unpositioned()) === 0, `event ${n} positioned`, 5_000);
    }
    // The process's first stream: its hub no longer waits for the Redis subscription.
    const stream = new SseClient(base, { ...agent.auth });
    clients.push(stream);
    await waitFor(
      async () => stream.lastId !== undefined,
      'the stream says where it stands',
      5_000,
    );
    await record(agent.id, 4);
    const [live] = await waitFor(
      async () => stream.events.length >= 1 && stream.events,
      'the event by the poll',
      5_000,
    );
    expect(live.data).toEqual({ n: 4 });
    // Rate-limited requests, counted in Redis: the first waits for its counter at most the
    // client's timeout and goes on unlimited (fail open); they waited for ever.
    await t.http
      .post('/v1/companies/me/api-keys')
      .set(company.auth)
      .send({ name: 'during the hang' })
      .expect(201);
    await t.http.get('/v1/companies/me/api-keys').set('Authorization', `Bearer ${key}`);
    redis.resume();
  }, 60_000);

  it('hears API key revocations again once Redis is back after a restart', async () => {
    const other = await createTestApp({
      shareWith: t,
      env: { REDIS_URL: redis.url, API_KEY_CACHE_SECONDS: '300' },
    });
    try {
      const company = await registerCompany(t);
      const key = await createApiKey(t, company);
      const me = () => other.http.get('/v1/bot/me').set('Authorization', `Bearer ${key}`);
      await redis.stop();
      await redis.start();
      // Cached again only once subscribed again (the cache was cleared on reconnect).
      const reads = jest.spyOn(other.app.get(ApiKeysRepository), 'activeByHash');
      await waitFor(
        async () => {
          await me().expect(200); // read, and cached if it listens
          reads.mockClear();
          await me().expect(200);
          // Served from the cache. (Counting one read of two failed for good once an earlier
          // round had cached it: none then.)
          return reads.mock.calls.length === 0;
        },
        'the key cached again',
        15_000,
      );
      const [{ id }] = await t.db.query(`SELECT id FROM api_keys WHERE prefix = $1`, [
        key.slice(0, 12),
      ]);
      await t.http.delete(`/v1/companies/me/api-keys/${id}`).set(company.auth).expect(204);
      await waitFor(async () => (await me()).status === 401, 'the other process to refuse it');
    } finally {
      await other.close();
    }
  }, 60_000);
});
