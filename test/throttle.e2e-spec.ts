import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  createApiKey,
  PASSWORD,
  registerAgent,
  registerCompany,
  SignedIn,
  uniqueEmail,
} from './support/factories';
import { waitFor } from './support/wait-for';
import { escalationBody } from './support/tickets';
import { createTestApp, TestApp } from './support/test-app';

/**
 * Two app instances sharing one Redis prefix: two API processes behind a balancer. Started one
 * after the other: two at once in one test worker, beside the other worker's suite, once took
 * longer than the database pool's 5 s connect timeout to get their first connections.
 */
const twoProcesses = async (env: Record<string, string>): Promise<[TestApp, TestApp]> => {
  const first = await createTestApp({ env });
  return [first, await createTestApp({ env })];
};

describe('auth throttling (Redis-backed)', () => {
  // Two app instances sharing one Redis prefix stand for two API processes behind a balancer.
  const shared = { QUEUE_PREFIX: `test-throttle-${randomBytes(3).toString('hex')}` };
  const env = { ...shared, AUTH_THROTTLE_LIMIT: '3', AUTH_THROTTLE_TTL_SECONDS: '60' };
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    [a, b] = await twoProcesses(env);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
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
    // The console's cookie login is the same action: it does not give the address more guesses.
    const byCookie = await a.http
      .post('/v1/auth/session/login')
      .set('X-Handoff-Console', '1')
      .send({ email: uniqueEmail(), password: PASSWORD });
    expect(byCookie.status).toBe(429);
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

describe('auth throttling and what another site can make a browser send', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: {
        QUEUE_PREFIX: `test-throttle-xs-${randomBytes(3).toString('hex')}`,
        AUTH_THROTTLE_LIMIT: '3',
        AUTH_THROTTLE_TTL_SECONDS: '60',
      },
    });
  });
  afterAll(() => t.close());

  it("does not count body-less posts without the console's header: a page elsewhere cannot use up its visitors' sign-ins", async () => {
    // What fetch(…, { method: 'POST', mode: 'no-cors' }) sends: no JSON, no custom header.
    for (const path of ['/v1/auth/session/refresh', '/v1/auth/session/login', '/v1/auth/login']) {
      for (let i = 0; i < 4; i++) await t.http.post(path).expect(400);
      // A form's or text body is refused before any route is reached.
      const text = await t.http.post(path).set('Content-Type', 'text/plain').send('x');
      expect(text.status).toBeGreaterThanOrEqual(400);
      expect(text.status).not.toBe(429);
    }
    // The address's own sign-ins and renewals are all still there.
    const wrong = { email: uniqueEmail(), password: PASSWORD };
    for (let i = 0; i < 3; i++) {
      await t.http
        .post('/v1/auth/session/login')
        .set('X-Handoff-Console', '1')
        .send(wrong)
        .expect(401);
    }
    await t.http
      .post('/v1/auth/session/login')
      .set('X-Handoff-Console', '1')
      .send(wrong)
      .expect(429);
    await t.http.post('/v1/auth/session/refresh').set('X-Handoff-Console', '1').expect(401);
    // A body of any JSON type counts, whatever it calls itself: not a way around the limit.
    const vendor = () =>
      t.http
        .post('/v1/auth/login')
        .set('Content-Type', 'application/vnd.guess+json')
        .send(JSON.stringify(wrong));
    await vendor().expect(429); // the login action's three are spent above
  });
});

describe('write, intake and redelivery limits (per caller, Redis-backed)', () => {
  const shared = { QUEUE_PREFIX: `test-limits-${randomBytes(3).toString('hex')}` };
  const env = {
    ...shared,
    WRITE_THROTTLE_LIMIT: '3',
    WRITE_THROTTLE_TTL_SECONDS: '60',
    INTAKE_THROTTLE_LIMIT: '3',
    INTAKE_THROTTLE_TTL_SECONDS: '60',
    REDELIVER_THROTTLE_LIMIT: '2',
    REDELIVER_THROTTLE_TTL_SECONDS: '600',
    READ_THROTTLE_LIMIT: '8',
    READ_THROTTLE_TTL_SECONDS: '60',
    COMPANY_KEYS_THROTTLE_LIMIT: '10',
    COMPANY_KEYS_THROTTLE_TTL_SECONDS: '60',
  };
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    [a, b] = await twoProcesses(env);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  const expectLimited = (res: {
    status: number;
    headers: Record<string, string>;
    body: unknown;
  }) => {
    expect(res.status).toBe(429);
    expect((res.body as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  };

  it('counts a user’s writes over every route and process together; reads and other users are not counted', async () => {
    const agent = await registerAgent(a);
    const other = await registerAgent(a);
    const profile = (t: TestApp, who: SignedIn) =>
      t.http
        .put('/v1/agents/me/profile')
        .set(who.auth)
        .send({ displayName: 'Agent', timeZone: 'UTC', languages: ['en'] });
    expect((await profile(a, agent)).status).toBe(200);
    expect(
      (await a.http.put('/v1/agents/me/skills').set(agent.auth).send({ skills: [] })).status,
    ).toBe(200);
    for (let i = 0; i < 5; i++)
      await a.http.get('/v1/agents/me/profile').set(agent.auth).expect(200);
    // The other process (its own test database does not know the agent: 404) counts it too.
    expect((await profile(b, agent)).status).toBe(404);
    expectLimited(await profile(a, agent));
    expectLimited(await b.http.put('/v1/agents/me/skills').set(agent.auth).send({ skills: [] }));
    await a.http.get('/v1/agents/me/profile').set(agent.auth).expect(200);
    expect((await profile(a, other)).status).toBe(200);
  });

  it('counts a user’s reads over every route and process together, apart from its writes and other users; public reads never', async () => {
    const agent = await registerAgent(a);
    const other = await registerAgent(a);
    const read = (t: TestApp, path: string) => t.http.get(path).set(agent.auth);
    for (let i = 0; i < 4; i++) expect((await read(a, '/v1/agents/me/profile')).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await read(a, '/v1/agents/me/tickets')).status).toBe(200);
    // The eighth, on the other process (its own test database does not know the agent: 404).
    expect((await read(b, '/v1/agents/me/profile')).status).toBe(404);
    expectLimited(await read(a, '/v1/agents/me/profile'));
    expectLimited(await read(b, '/v1/agents/me/tickets'));
    await a.http.put('/v1/agents/me/skills').set(agent.auth).send({ skills: [] }).expect(200);
    await a.http.get('/v1/agents/me/profile').set(other.auth).expect(200);
    for (let i = 0; i < 10; i++) await a.http.get('/health').expect(200);
  });

  it('counts escalations per API key, apart from the company’s other keys', async () => {
    const company = await registerCompany(a);
    const [first, second] = [await createApiKey(a, company), await createApiKey(a, company)];
    const escalateWith = (key: string) =>
      a.http.post('/v1/escalations').set('Authorization', `Bearer ${key}`).send(escalationBody());
    for (let i = 0; i < 3; i++) expect((await escalateWith(first)).status).toBe(201);
    expectLimited(await escalateWith(first));
    expect((await escalateWith(second)).status).toBe(201);
  });

  it("counts every call with a company's keys together, over processes, so more keys buy no more; its users apart", async () => {
    const company = await registerCompany(a);
    const other = await registerCompany(a);
    const keys = await Promise.all([1, 2, 3].map(() => createApiKey(a, company)));
    const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
    const escalateWith = (key: string) =>
      a.http.post('/v1/escalations').set(bearer(key)).send(escalationBody());
    // Ten calls over three keys, each key within its own limits (3 escalations, 3 writes, 8
    // reads), escalations and reads alike: the company's ten.
    for (const key of keys.slice(0, 2)) {
      for (let i = 0; i < 3; i++) expect((await escalateWith(key)).status).toBe(201);
    }
    for (let i = 0; i < 3; i++) await a.http.get('/v1/tickets').set(bearer(keys[2])).expect(200);
    // The other process, whose own test database knows no key: refused (401) before counting.
    expect((await b.http.get('/v1/tickets').set(bearer(keys[2]))).status).toBe(401);
    await a.http.get('/v1/tickets').set(bearer(keys[2])).expect(200);
    // The third key has used none of its escalations and 4 of its 8 reads: the company's limit.
    expectLimited(await escalateWith(keys[2]));
    expectLimited(await a.http.get('/v1/tickets').set(bearer(keys[2])));
    // Its people in the console, and another company's bot, are not counted with them.
    await a.http.get('/v1/companies/me').set(company.auth).expect(200);
    expect((await escalateWith(await createApiKey(a, other))).status).toBe(201);
  });

  it('limits webhook redeliveries per company', async () => {
    const company = await registerCompany(a);
    const redeliver = () =>
      a.http
        .post(`/v1/companies/me/webhook-deliveries/${randomUUID()}/redeliver`)
        .set(company.auth);
    expect((await redeliver()).status).toBe(404);
    expect((await redeliver()).status).toBe(404);
    expectLimited(await redeliver());
  });

  it('turns every request limit off with RATE_LIMITS=false', async () => {
    const off = await createTestApp({
      env: {
        ...env,
        QUEUE_PREFIX: `test-off-${randomBytes(3).toString('hex')}`,
        RATE_LIMITS: 'false',
        AUTH_THROTTLE_LIMIT: '1',
      },
    });
    try {
      const agent = await registerAgent(off);
      await registerAgent(off); // past the auth limit of 1
      for (let i = 0; i < 6; i++) {
        await off.http.put('/v1/agents/me/skills').set(agent.auth).send({ skills: [] }).expect(200);
      }
    } finally {
      await off.close();
    }
  });
});

describe('sign-in slowdown per account', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: { QUEUE_PREFIX: `test-slow-${randomBytes(3).toString('hex')}` },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  const login = (email: string, password: string) =>
    t.http.post('/v1/auth/login').send({ email, password });
  /** Polls until the account's wait has passed (the server says when with Retry-After). */
  const untilAllowed = (email: string) =>
    waitFor(
      async () => {
        const res = await login(email, 'wrong password, again');
        return res.status !== 429 && res;
      },
      'the slowdown to pass',
      10_000,
    );

  it('after 5 failures in 15 minutes spaces attempts 1 s, then 2 s apart, before checking the password; a success resets it', async () => {
    const agent = await registerAgent(t);
    const bystander = await registerAgent(t);
    for (let i = 0; i < 5; i++) expect((await login(agent.email, 'wrong')).status).toBe(401);
    // Even the right password waits: the attempt is refused before it is checked.
    const slowed = await login(agent.email, PASSWORD);
    expect(slowed.status).toBe(429);
    expect(slowed.body.error).toMatchObject({
      code: 'RATE_LIMITED',
      details: { retryAfterSeconds: 1 },
    });
    expect(slowed.headers['retry-after']).toBe('1');
    // Only this account: another signs in at once, from the same address.
    expect((await login(bystander.email, PASSWORD)).status).toBe(200);

    expect((await untilAllowed(agent.email)).status).toBe(401); // the 6th failure
    expect((await login(agent.email, 'wrong')).headers['retry-after']).toBe('2');

    // Unknown accounts slow down the same way (no hint of which exist).
    const ghost = uniqueEmail('ghost');
    for (let i = 0; i < 5; i++) expect((await login(ghost, 'wrong')).status).toBe(401);
    expect((await login(ghost, 'wrong')).status).toBe(429);

    // The real owner, once the 2 s are over, signs in; that resets the count.
    await waitFor(
      async () => {
        const res = await login(agent.email, PASSWORD);
        return res.status === 200 && res;
      },
      'a successful sign-in',
      10_000,
    );
    for (let i = 0; i < 5; i++) expect((await login(agent.email, 'wrong')).status).toBe(401);
  });

  // The per-account slowdown let a stranger keep the owner out: one wrong guess at each turn.
  it('lets a browser that signed in to the account before sign in while strangers slow it down; its own failures slow only itself', async () => {
    const agent = await registerAgent(t);
    const console = (cookie?: string) => {
      const req = t.http.post('/v1/auth/session/login').set('X-Handoff-Console', '1');
      return cookie ? req.set('Cookie', cookie) : req;
    };
    const deviceOf = (res: { headers: Record<string, unknown> }) =>
      ([res.headers['set-cookie']].flat() as string[])
        .find((c) => c.startsWith('handoff_device_'))
        ?.split(';')[0];
    // The owner's browser signs in once: it is known from then on (a year, across sign-outs).
    const first = await console().send({ email: agent.email, password: PASSWORD }).expect(200);
    const device = deviceOf(first)!;
    expect(device).toBeDefined();
    expect([first.headers['set-cookie']].flat().join('\n')).toMatch(
      /handoff_device_[0-9a-f]{16}=[^;]+; Max-Age=31536000; Path=\/v1\/auth; HttpOnly; SameSite=Strict/,
    );
    expect(device).not.toContain(
      createHash('sha256').update(agent.email).digest('hex').slice(0, 16),
    );

    // Strangers guess: the account is slowed for them, and for any unknown browser.
    for (let i = 0; i < 5; i++) expect((await login(agent.email, 'wrong')).status).toBe(401);
    expect((await login(agent.email, PASSWORD)).status).toBe(429);
    expect((await console().send({ email: agent.email, password: PASSWORD })).status).toBe(429);
    // A forged token, or one for another account (under this account's cookie name), is an
    // unknown browser.
    const other = await registerAgent(t);
    const othersDevice = deviceOf(
      await console().send({ email: other.email, password: PASSWORD }).expect(200),
    )!;
    const forged = `${device.slice(0, -4)}AAAA`;
    const swapped = `${device.split('=')[0]}=${othersDevice.split('=')[1]}`;
    for (const cookie of [swapped, forged]) {
      expect((await console(cookie).send({ email: agent.email, password: PASSWORD })).status).toBe(
        429,
      );
    }
    // The owner's browser signs in at once (its cookie for the other account beside it: one
    // per account), and that gives the strangers no fresh guesses.
    const again = await console(`${device}; ${othersDevice}`).send({
      email: agent.email,
      password: PASSWORD,
    });
    expect(again.status).toBe(200);
    expect((await login(agent.email, PASSWORD)).status).toBe(429);

    // Wrong passwords from the known browser slow that browser only.
    for (let i = 0; i < 5; i++) {
      expect((await console(device).send({ email: agent.email, password: 'typo' })).status).toBe(
        401,
      );
    }
    expect((await console(device).send({ email: agent.email, password: PASSWORD })).status).toBe(
      429,
    );
  });

  it('gives a burst of guesses sent at once no more password checks than spread out', async () => {
    const agent = await registerAgent(t);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => login(agent.email, `guess ${i}`)),
    );
    const statuses = answers.map((r) => r.status).sort();
    // The 5 free failures, the 5th setting the first wait; the others refused unchecked.
    expect(statuses).toEqual([...Array(5).fill(401), ...Array(15).fill(429)]);
  });

  it('doubles the wait with each further failure', async () => {
    const agent = await registerAgent(t);
    const key = await failuresKey(t, agent.email);
    await t.redis.hset(key, 'count', 6); // 6 failures so far: the 7th makes the next wait 4 s
    await t.redis.pexpire(key, 900_000);
    expect((await login(agent.email, 'wrong')).status).toBe(401);
    expect((await login(agent.email, 'wrong')).headers['retry-after']).toBe('4');
  });

  it('never makes an account wait more than 15 minutes', async () => {
    const agent = await registerAgent(t);
    // 20 failures as if spread over time: the 20th would wait 2^15 s without the cap.
    const key = await failuresKey(t, agent.email);
    await t.redis.hset(key, 'count', 19);
    await t.redis.pexpire(key, 900_000);
    expect((await login(agent.email, 'wrong')).status).toBe(401);
    const res = await login(agent.email, 'wrong');
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBe(900);
  });

  it('keeps the count past the wait: at the cap, waiting it out gives no fresh free failures', async () => {
    const agent = await registerAgent(t);
    const key = await failuresKey(t, agent.email);
    // Below the cap: kept a window (15 minutes) past the 2 s wait, not just the window.
    await t.redis.hset(key, 'count', 5);
    await t.redis.pexpire(key, 900_000);
    expect((await login(agent.email, 'wrong')).status).toBe(401);
    expect(await t.redis.pttl(key)).toBeGreaterThan(900_000);
    // At the cap: the count was gone when the next turn came (both 15 minutes), and the next
    // guesses were free again, some forty an hour. Now it is kept a day past the wait.
    await t.redis.hset(key, 'count', 19);
    await t.redis.hdel(key, 'next');
    expect((await login(agent.email, 'wrong')).status).toBe(401);
    expect(await t.redis.pttl(key)).toBeGreaterThan(24 * 3600_000);
    // Waited out (the turn moved to now): the next attempt is counted on, so it is spaced again.
    await t.redis.hset(key, 'next', 0);
    expect((await login(agent.email, 'wrong')).status).toBe(401);
    expect((await login(agent.email, 'wrong')).status).toBe(429);
  });
});

async function failuresKey(t: TestApp, email: string): Promise<string> {
  const hash = createHash('sha256').update(email.toLowerCase()).digest('hex');
  return `${t.env.QUEUE_PREFIX}:default:login-failures:${hash}`;
}
