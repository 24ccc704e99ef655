import type { Response } from 'supertest';
import { PASSWORD, registerAgent, uniqueEmail } from './support/factories';
import { UsersService } from '../src/modules/users/users.service';
import { createTestApp, TestApp } from './support/test-app';

const CONSOLE = { 'X-Handoff-Console': '1' };

/** The session cookie as the browser would keep it, and its attributes. */
function sessionCookie(
  res: Response,
  name = 'handoff_session',
): { value: string; attributes: string[] } | null {
  const header = res.headers['set-cookie'] as unknown as string[] | undefined;
  const line = header?.find((c) => c.startsWith(`${name}=`));
  if (!line) return null;
  const [pair, ...attributes] = line.split(';').map((p) => p.trim());
  return { value: pair.slice(name.length + 1), attributes };
}

describe('console sessions: the refresh token in an httpOnly cookie', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const session = (path: string, cookie?: string) => {
    const req = t.http.post(`/v1/auth/session/${path}`).set(CONSOLE);
    return cookie === undefined ? req : req.set('Cookie', `handoff_session=${cookie}`);
  };

  it('sign-in sets an httpOnly, SameSite=Strict cookie on /v1/auth and answers no refresh token', async () => {
    const agent = await registerAgent(t);
    const res = await session('login').send({ email: agent.email, password: PASSWORD }).expect(200);
    expect(Object.keys(res.body).sort()).toEqual(['accessToken', 'expiresIn', 'tokenType', 'user']);
    expect(res.body.user).toMatchObject({ id: agent.id, role: 'agent' });
    const cookie = sessionCookie(res)!;
    expect(cookie.value).toMatch(/^[0-9a-f-]{36}\./);
    expect(cookie.attributes).toEqual(
      expect.arrayContaining(['Path=/v1/auth', 'HttpOnly', 'SameSite=Strict']),
    );
    expect(cookie.attributes.find((a) => a.startsWith('Max-Age='))).toBe(`Max-Age=${30 * 86_400}`);
    // Served over http here (PUBLIC_URL): not Secure, or the browser would drop it.
    expect(cookie.attributes).not.toContain('Secure');
    // The access token works as any other.
    await t.http.get('/v1/me').set('Authorization', `Bearer ${res.body.accessToken}`).expect(200);
  });

  it('sign-up starts a session too', async () => {
    const email = uniqueEmail('console');
    const res = await session('register')
      .send({ email, password: PASSWORD, role: 'agent' })
      .expect(201);
    expect(res.body.user).toMatchObject({ email, role: 'agent' });
    expect(res.body.refreshToken).toBeUndefined();
    expect(sessionCookie(res)).not.toBeNull();
  });

  it('the OpenAPI document names every cookie sign-up, sign-in and refresh set', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body as {
      paths: Record<string, { post: { responses: Record<string, { headers?: object }> } }>;
    };
    const documented = (path: string, status: number) =>
      JSON.stringify(
        doc.paths[`/v1/auth/session/${path}`].post.responses[status].headers?.[
          'Set-Cookie' as keyof object
        ] ?? '',
      );
    const names = (res: Response) =>
      ((res.headers['set-cookie'] as unknown as string[]) ?? []).map((c) =>
        // A device cookie's name ends in the account's keyed digest: the document says <digest>.
        c.slice(0, c.indexOf('=')).replace(/^(handoff_device_).+$/, '$1<digest>'),
      );
    const email = uniqueEmail('documented');
    const signUp = await session('register')
      .send({ email, password: PASSWORD, role: 'agent' })
      .expect(201);
    const signIn = await session('login').send({ email, password: PASSWORD }).expect(200);
    const refresh = await session('refresh', sessionCookie(signIn)!.value).expect(200);
    const seen: [string, number, Response][] = [
      ['register', 201, signUp],
      ['login', 200, signIn],
      ['refresh', 200, refresh],
    ];
    for (const [path, status, res] of seen) {
      expect(names(res).length).toBeGreaterThan(0);
      for (const name of names(res)) expect(`${path}: ${documented(path, status)}`).toContain(name);
    }
    expect(names(signIn)).toEqual(['handoff_session', 'handoff_device_<digest>']);
  });

  it('refresh rotates the cookie; the spent one is refused and ends the login', async () => {
    const agent = await registerAgent(t);
    const login = await session('login').send({ email: agent.email, password: PASSWORD });
    const first = sessionCookie(login)!.value;
    const refreshed = await session('refresh', first).expect(200);
    expect(refreshed.body.user.id).toBe(agent.id);
    const second = sessionCookie(refreshed)!.value;
    expect(second).not.toBe(first);
    // A reload: the browser sends the newest cookie.
    const again = await session('refresh', second).expect(200);
    const third = sessionCookie(again)!.value;
    // The spent one again (stolen?): refused, the login revoked, the cookie cleared.
    const reuse = await session('refresh', first).expect(401);
    expect(reuse.body.error.code).toBe('REFRESH_TOKEN_REUSED');
    expect(sessionCookie(reuse)!.value).toBe('');
    // The whole login is revoked: the newest cookie is refused too.
    expect((await session('refresh', third).expect(401)).body.error.code).toBe(
      'INVALID_REFRESH_TOKEN',
    );
  });

  it('a refresh the database could not answer (503) keeps the cookie: the retry works', async () => {
    const agent = await registerAgent(t);
    const login = await session('login').send({ email: agent.email, password: PASSWORD });
    const cookie = sessionCookie(login)!.value;
    const users = t.app.get(UsersService);
    const spy = jest
      .spyOn(users, 'findById')
      .mockRejectedValueOnce(new Error('timeout exceeded when trying to connect'));
    try {
      const passing = await session('refresh', cookie).expect(503);
      expect(sessionCookie(passing)).toBeNull(); // not cleared: the login may be fine
    } finally {
      spy.mockRestore();
    }
    // The rotation had committed: the same cookie is answered within the reuse grace.
    expect((await session('refresh', cookie).expect(200)).body.user.id).toBe(agent.id);
  });

  it('sign-out revokes the session and clears the cookie', async () => {
    const agent = await registerAgent(t);
    const login = await session('login').send({ email: agent.email, password: PASSWORD });
    const cookie = sessionCookie(login)!.value;
    const out = await session('logout', cookie).expect(204);
    expect(sessionCookie(out)).toMatchObject({ value: '' });
    expect((await session('refresh', cookie).expect(401)).body.error.code).toBe(
      'INVALID_REFRESH_TOKEN',
    );
    // Without any cookie: still 204 (nothing to end).
    await session('logout').expect(204);
  });

  it('no cookie is 401; no console header is a 400 naming it (CSRF), and nothing is spent', async () => {
    const none = await session('refresh').expect(401);
    expect(none.body.error.code).toBe('INVALID_REFRESH_TOKEN');
    const agent = await registerAgent(t);
    const login = await session('login').send({ email: agent.email, password: PASSWORD });
    const cookie = sessionCookie(login)!.value;
    for (const path of ['refresh', 'logout', 'login']) {
      const res = await t.http
        .post(`/v1/auth/session/${path}`)
        .set('Cookie', `handoff_session=${cookie}`)
        .send({ email: agent.email, password: PASSWORD })
        .expect(400);
      expect(res.body.error.details.fields).toEqual([
        { field: 'X-Handoff-Console', messages: [expect.any(String)] },
      ]);
    }
    // The cookie was neither spent nor revoked by those.
    await session('refresh', cookie).expect(200);
  });

  it('the bearer flow is unchanged: its refresh token is in the body, no cookie is set', async () => {
    const agent = await registerAgent(t);
    const login = await t.http
      .post('/v1/auth/login')
      .send({ email: agent.email, password: PASSWORD })
      .expect(200);
    expect(login.body.refreshToken).toEqual(expect.any(String));
    expect(sessionCookie(login)).toBeNull();
  });
});

describe('console sessions over https', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { PUBLIC_URL: 'https://handoff.example' } });
  });
  afterAll(async () => {
    await t.close();
  });

  const HOST = '__Host-handoff_session';
  const signIn = async (email: string) =>
    t.http
      .post('/v1/auth/session/login')
      .set(CONSOLE)
      .send({ email, password: PASSWORD })
      .expect(200);
  const refresh = (cookies: string) =>
    t.http.post('/v1/auth/session/refresh').set(CONSOLE).set('Cookie', cookies);

  it('names the cookie __Host-: Secure, Path=/, no Domain, so only this host can set it', async () => {
    const agent = await registerAgent(t);
    const res = await signIn(agent.email);
    const cookie = sessionCookie(res, HOST)!;
    expect(cookie.value).toMatch(/^[0-9a-f-]{36}\./);
    expect(cookie.attributes).toEqual(
      expect.arrayContaining(['Path=/', 'Secure', 'HttpOnly', 'SameSite=Strict']),
    );
    expect(cookie.attributes.some((a) => a.startsWith('Domain='))).toBe(false);
    expect(sessionCookie(res)).toBeNull(); // nothing of the old name
    const refreshed = await refresh(`${HOST}=${cookie.value}`).expect(200);
    expect(refreshed.body.user.id).toBe(agent.id);
    const logout = await t.http
      .post('/v1/auth/session/logout')
      .set(CONSOLE)
      .set('Cookie', `${HOST}=${sessionCookie(refreshed, HOST)!.value}`)
      .expect(204);
    expect(sessionCookie(logout, HOST)!.attributes).toEqual(
      expect.arrayContaining(['Path=/', 'Secure']),
    );
  });

  it('never reads a token under the old name: one planted beside ours (another account’s) is ignored and cleared', async () => {
    const [victim, attacker] = [await registerAgent(t), await registerAgent(t)];
    const ours = sessionCookie(await signIn(victim.email), HOST)!.value;
    // The attacker's own valid token, as a sibling subdomain would set it for the parent
    // domain: the browser sends it first (its Path is longer).
    const planted = sessionCookie(await signIn(attacker.email), HOST)!.value;
    const res = await refresh(`handoff_session=${planted}; ${HOST}=${ours}`).expect(200);
    expect(res.body.user.id).toBe(victim.id);
    const cleared = sessionCookie(res)!;
    expect(cleared.value).toBe('');
    expect(cleared.attributes).toEqual(expect.arrayContaining(['Path=/v1/auth', 'Secure']));
    // Alone (a browser signed in before the prefix, or a planted one): no session, and cleared.
    const alone = await refresh(`handoff_session=${planted}`).expect(401);
    expect(alone.body.error.code).toBe('INVALID_REFRESH_TOKEN');
    expect(sessionCookie(alone)!.value).toBe('');
    // The planted token was never spent: the attacker's own session still refreshes.
    await refresh(`${HOST}=${planted}`).expect(200);
  });
});
