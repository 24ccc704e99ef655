import { createHash } from 'node:crypto';
import { createApiKey, registerCompany, SignedIn } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

describe('company API keys', () => {
  let t: TestApp;
  let acme: SignedIn;
  let globex: SignedIn;
  beforeAll(async () => {
    t = await createTestApp();
    acme = await registerCompany(t, 'Acme');
    globex = await registerCompany(t, 'Globex');
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates a key shown once, stored only as SHA-256', async () => {
    const res = await t.http
      .post('/v1/companies/me/api-keys')
      .set(acme.auth)
      .set('Idempotency-Key', 'first-key')
      .send({ name: 'production bot' })
      .expect(201);
    // Never cached on the way, nor its replay under the same Idempotency-Key.
    expect(res.headers['cache-control']).toBe('no-store');
    const replay = await t.http
      .post('/v1/companies/me/api-keys')
      .set(acme.auth)
      .set('Idempotency-Key', 'first-key')
      .send({ name: 'production bot' })
      .expect(201);
    expect([replay.body.id, replay.headers['cache-control']]).toEqual([res.body.id, 'no-store']);
    expect(res.body).toMatchObject({ name: 'production bot', lastUsedAt: null });
    expect(res.body.key).toMatch(/^hk_live_[A-Za-z0-9_-]{43}$/);
    expect(res.body.prefix).toBe(res.body.key.slice(0, 12));

    const [row] = await t.db.query('SELECT * FROM api_keys WHERE id = $1', [res.body.id]);
    expect(row.key_hash).toBe(createHash('sha256').update(res.body.key).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(res.body.key);

    const list = await t.http.get('/v1/companies/me/api-keys').set(acme.auth).expect(200);
    const listed = list.body.find((k: { id: string }) => k.id === res.body.id);
    expect(listed).toEqual({
      id: res.body.id,
      name: 'production bot',
      prefix: res.body.prefix,
      createdAt: expect.any(String),
      lastUsedAt: null,
    });
    expect(JSON.stringify(list.body)).not.toContain(res.body.key);
  });

  it('authenticates a bot by its key and records when the key was last used', async () => {
    const key = await createApiKey(t, acme, 'support bot');
    const res = await t.http.get('/v1/bot/me').set(bearer(key)).expect(200);
    expect(res.body).toMatchObject({
      companyId: acme.companyId,
      companyName: 'Acme',
      apiKeyName: 'support bot',
      apiKeyPrefix: key.slice(0, 12),
    });
    const list = await t.http.get('/v1/companies/me/api-keys').set(acme.auth).expect(200);
    const used = list.body.find((k: { name: string }) => k.name === 'support bot');
    expect(Date.parse(used.lastUsedAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('refuses a revoked key at once', async () => {
    const created = await t.http
      .post('/v1/companies/me/api-keys')
      .set(acme.auth)
      .send({ name: 'to revoke' })
      .expect(201);
    await t.http.get('/v1/bot/me').set(bearer(created.body.key)).expect(200);
    await t.http.delete(`/v1/companies/me/api-keys/${created.body.id}`).set(acme.auth).expect(204);
    const res = await t.http.get('/v1/bot/me').set(bearer(created.body.key)).expect(401);
    expect(res.body.error.code).toBe('INVALID_API_KEY');
    const list = await t.http.get('/v1/companies/me/api-keys').set(acme.auth).expect(200);
    expect(list.body.map((k: { id: string }) => k.id)).not.toContain(created.body.id);
    // Revoking again is harmless.
    await t.http.delete(`/v1/companies/me/api-keys/${created.body.id}`).set(acme.auth).expect(204);
  });

  it('refuses unknown and malformed keys', async () => {
    for (const key of ['hk_live_' + 'a'.repeat(43), 'hk_live_short', 'hk_test_whatever']) {
      const res = await t.http.get('/v1/bot/me').set(bearer(key)).expect(401);
      expect(res.body.error.code).toBe('INVALID_API_KEY');
    }
  });

  it('keeps keys to their company: no listing, no revoking across tenants', async () => {
    const acmeKey = await t.http
      .post('/v1/companies/me/api-keys')
      .set(acme.auth)
      .send({ name: 'acme only' })
      .expect(201);
    const globexList = await t.http.get('/v1/companies/me/api-keys').set(globex.auth).expect(200);
    expect(globexList.body.map((k: { id: string }) => k.id)).not.toContain(acmeKey.body.id);
    const res = await t.http
      .delete(`/v1/companies/me/api-keys/${acmeKey.body.id}`)
      .set(globex.auth)
      .expect(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    await t.http.get('/v1/bot/me').set(bearer(acmeKey.body.key)).expect(200);
  });

  it('does not let a bot key act as a user, nor a user act as a bot', async () => {
    const key = await createApiKey(t, acme);
    const asUser = await t.http.get('/v1/me').set(bearer(key)).expect(403);
    expect(asUser.body.error.code).toBe('FORBIDDEN');
    await t.http.get('/v1/companies/me/api-keys').set(bearer(key)).expect(403);
    await t.http.post('/v1/companies/me/api-keys').set(bearer(key)).send({ name: 'x' }).expect(403);
    await t.http.get('/v1/bot/me').set(acme.auth).expect(403);
  });

  it('caps a company at 20 active keys, even under concurrent creation', async () => {
    const company = await registerCompany(t, 'Initech');
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        t.http
          .post('/v1/companies/me/api-keys')
          .set(company.auth)
          .send({ name: `k${i}` }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(20);
    const refused = results.filter((r) => r.status === 409);
    expect(refused).toHaveLength(5);
    expect(refused[0].body.error.code).toBe('API_KEY_LIMIT');
  });
});
