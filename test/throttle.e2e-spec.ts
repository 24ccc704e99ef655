import { randomBytes } from 'node:crypto';
import { PASSWORD, uniqueEmail } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

describe('auth throttling (Redis-backed)', () => {
  // Two app instances sharing one Redis prefix stand for two API processes behind a balancer.
  const shared = { QUEUE_PREFIX: `test-throttle-${randomBytes(3).toString('hex')}` };
  const env = { ...shared, AUTH_THROTTLE_LIMIT: '3', AUTH_THROTTLE_TTL_SECONDS: '60' };
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await createTestApp({ env });
    b = await createTestApp({ env });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('allows AUTH_THROTTLE_LIMIT logins per window across processes, then 429 with Retry-After', async () => {
    const login = (t: TestApp) =>
      t.http.post('/v1/auth/login').send({ email: uniqueEmail(), password: PASSWORD });
    expect((await login(a)).status).toBe(401);
    expect((await login(b)).status).toBe(401);
    expect((await login(a)).status).toBe(401);
    const limited = await login(b);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.body).toEqual({
      error: {
        code: 'RATE_LIMITED',
        message: expect.any(String),
        details: null,
        requestId: limited.headers['x-request-id'],
      },
    });
  });

  it('throttles register and refresh too', async () => {
    const register = () =>
      a.http.post('/v1/auth/register').send({ email: 'bad', password: 'x', role: 'agent' });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await register()).status);
    expect(statuses).toEqual([400, 400, 400, 429]);
    const refresh = () => b.http.post('/v1/auth/refresh').send({ refreshToken: 'nope' });
    const refreshes = [];
    for (let i = 0; i < 4; i++) refreshes.push((await refresh()).status);
    expect(refreshes).toEqual([401, 401, 401, 429]);
  });

  it('does not throttle other routes', async () => {
    for (let i = 0; i < 6; i++) await a.http.get('/health').expect(200);
  });
});
