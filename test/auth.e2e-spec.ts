import { JwtService } from '@nestjs/jwt';
import * as argon2 from 'argon2';
import { createTestApp, TEST_JWT_SECRET, TestApp } from './support/test-app';
import { PASSWORD, registerAgent, registerCompany, uniqueEmail } from './support/factories';
import { waitForLockWaiters, withRowsHeld } from './support/row-locks';

describe('auth: register, login, me, refresh, logout', () => {
  let t: TestApp;
  beforeAll(async () => {
    // The configuration's own argon2id profile, which the hash below must show.
    t = await createTestApp({ passwordHashing: 'default' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('registers an agent, logs in with any email casing and reads /v1/me', async () => {
    const email = uniqueEmail('MixedCase');
    const reg = await t.http
      .post('/v1/auth/register')
      .send({ email, password: PASSWORD, role: 'agent' })
      .expect(201);
    expect(reg.body.user).toMatchObject({
      email: email.toLowerCase(),
      role: 'agent',
      companyId: null,
    });
    expect(reg.body.user.passwordHash).toBeUndefined();

    const login = await t.http
      .post('/v1/auth/login')
      .send({ email: email.toUpperCase(), password: PASSWORD })
      .expect(200);
    expect(login.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    // Answers with tokens are never cached on the way (RFC 6749 5.1).
    expect(reg.headers['cache-control']).toBe('no-store');
    expect(login.headers['cache-control']).toBe('no-store');
    const renewed = await t.http
      .post('/v1/auth/refresh')
      .send({ refreshToken: login.body.refreshToken })
      .expect(200);
    expect(renewed.headers['cache-control']).toBe('no-store');
    const session = await t.http
      .post('/v1/auth/session/login')
      .set('X-Handoff-Console', '1')
      .send({ email, password: PASSWORD })
      .expect(200);
    expect(session.headers['cache-control']).toBe('no-store');

    const me = await t.http
      .get('/v1/me')
      .set('Authorization', `Bearer ${login.body.accessToken}`)
      .expect(200);
    expect(me.body).toMatchObject({ id: reg.body.user.id, role: 'agent', company: null });
  });

  it('stores the password as an argon2id hash', async () => {
    const agent = await registerAgent(t);
    const [row] = await t.db.query('SELECT password_hash FROM users WHERE id = $1', [agent.id]);
    const [, type, , params] = row.password_hash.split('$');
    expect(type).toBe('argon2id');
    expect(params.split(',').sort()).toEqual(['m=19456', 'p=1', 't=2']);
  });

  it('registers a company admin together with its company', async () => {
    const admin = await registerCompany(t, 'Globex Returns Desk');
    expect(admin.companyId).toEqual(expect.any(String));
    const me = await t.http.get('/v1/me').set(admin.auth).expect(200);
    expect(me.body.company).toEqual({ id: admin.companyId, name: 'Globex Returns Desk' });
  });

  it('issues access tokens that live 15 minutes', async () => {
    const agent = await registerAgent(t);
    const claims = new JwtService().decode(agent.accessToken);
    expect(claims.exp - claims.iat).toBe(900);
    expect(claims).toMatchObject({ sub: agent.id, role: 'agent', cid: null });
  });

  it('refuses a duplicate email whatever its casing, naming the field', async () => {
    const email = uniqueEmail('dup');
    await t.http
      .post('/v1/auth/register')
      .send({ email, password: PASSWORD, role: 'agent' })
      .expect(201);
    const res = await t.http
      .post('/v1/auth/register')
      .send({ email: email.toUpperCase(), password: PASSWORD, role: 'agent' })
      .expect(409);
    expect(res.body.error).toMatchObject({
      code: 'EMAIL_TAKEN',
      details: { fields: [{ field: 'email', messages: [expect.any(String)] }] },
    });
  });

  it('takes an address composed or decomposed as one, and refuses invisible characters in it', async () => {
    const composed = uniqueEmail('josé');
    const decomposed = composed.normalize('NFD');
    expect(decomposed).not.toBe(composed);
    const reg = await t.http
      .post('/v1/auth/register')
      .send({ email: decomposed, password: PASSWORD, role: 'agent' })
      .expect(201);
    expect(reg.body.user.email).toBe(composed);
    const twin = await t.http
      .post('/v1/auth/register')
      .send({ email: composed.toUpperCase(), password: PASSWORD, role: 'agent' })
      .expect(409);
    expect(twin.body.error.code).toBe('EMAIL_TAKEN');
    await t.http.post('/v1/auth/login').send({ email: composed, password: PASSWORD }).expect(200);
    await t.http.post('/v1/auth/login').send({ email: decomposed, password: PASSWORD }).expect(200);
    const before = await t.db.query('SELECT count(*)::int AS n FROM users');
    const [local, domain] = uniqueEmail('lookalike').split('@');
    for (const email of [
      `${local}@${domain}\u200b`, // a zero-width space: IsEmail took it in the domain
      `${local}\u200d@${domain}`,
      `${local}@exa\u00admple.test`, // a soft hyphen
      `${local} @${domain}`,
      `${local}\u00a0@${domain}`,
    ]) {
      const res = await t.http
        .post('/v1/auth/register')
        .send({ email, password: PASSWORD, role: 'agent' })
        .expect(400);
      expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual([
        'email',
      ]);
    }
    expect(await t.db.query('SELECT count(*)::int AS n FROM users')).toEqual(before);
  });

  it('refuses a new password with a character that could not be read: every such one was the same', async () => {
    const before = await t.db.query('SELECT count(*)::int AS n FROM users');
    for (const password of ['\ud800'.repeat(12), '\ufffd'.repeat(12), 'correct \udfff horse']) {
      const res = await t.http
        .post('/v1/auth/register')
        .send({ email: uniqueEmail(), password, role: 'agent' })
        .expect(400);
      expect(res.body.error.details.fields).toEqual([
        { field: 'password', messages: [expect.stringContaining('could not be read')] },
      ]);
    }
    // Bytes that are not UTF-8 are read as U+FFFD too.
    const raw = Buffer.concat([
      Buffer.from(`{"email":"${uniqueEmail()}","role":"agent","password":"`),
      Buffer.alloc(12, 0xff),
      Buffer.from('"}'),
    ]);
    const bytes = await t.http
      .post('/v1/auth/register')
      .set('Content-Type', 'application/json')
      // The bytes as they are, not the Buffer as JSON (superagent passes a Buffer through).
      .serialize((body: Buffer) => body as unknown as string)
      .send(raw)
      .expect(400);
    expect(bytes.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual([
      'password',
    ]);
    expect(await t.db.query('SELECT count(*)::int AS n FROM users')).toEqual(before);
  });

  it.each(['finance', 'admin', 'bot', 'superuser'])(
    'refuses self-registration as %s',
    async (role) => {
      const before = await t.db.query('SELECT count(*)::int AS n FROM users');
      const res = await t.http
        .post('/v1/auth/register')
        .send({ email: uniqueEmail(), password: PASSWORD, role })
        .expect(400);
      expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual([
        'role',
      ]);
      expect(await t.db.query('SELECT count(*)::int AS n FROM users')).toEqual(before);
    },
  );

  it('requires companyName for company admins and refuses it for agents', async () => {
    const missing = await t.http
      .post('/v1/auth/register')
      .send({ email: uniqueEmail(), password: PASSWORD, role: 'company_admin' })
      .expect(400);
    expect(missing.body.error.details.fields[0].field).toBe('companyName');
    const extra = await t.http
      .post('/v1/auth/register')
      .send({ email: uniqueEmail(), password: PASSWORD, role: 'agent', companyName: 'X' })
      .expect(400);
    expect(extra.body.error.details.fields[0].field).toBe('companyName');
  });

  it('answers a wrong password and an unknown email the same way', async () => {
    const agent = await registerAgent(t);
    const wrong = await t.http
      .post('/v1/auth/login')
      .send({ email: agent.email, password: 'not the password at all' })
      .expect(401);
    const unknown = await t.http
      .post('/v1/auth/login')
      .send({ email: uniqueEmail('nobody'), password: PASSWORD })
      .expect(401);
    expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');
    expect(unknown.body.error.message).toBe(wrong.body.error.message);
  });

  it("makes a hash of older argon2 settings again with today's at the next sign-in", async () => {
    const agent = await registerAgent(t);
    const hashOf = async () =>
      (await t.db.query('SELECT password_hash FROM users WHERE id = $1', [agent.id]))[0]
        .password_hash as string;
    const today = await hashOf();
    expect(today).toContain('m=19456,t=2,p=1');
    // Made before ARGON2_MEMORY_KIB and ARGON2_TIME_COST were raised: weaker, and verified
    // faster than the decoy an unknown email is checked against.
    const older = await argon2.hash(PASSWORD, {
      type: argon2.argon2id,
      memoryCost: 4096,
      timeCost: 1,
    });
    await t.db.query('UPDATE users SET password_hash = $2 WHERE id = $1', [agent.id, older]);
    await t.http
      .post('/v1/auth/login')
      .send({ email: agent.email, password: PASSWORD })
      .expect(200);
    const rehashed = await hashOf();
    expect(rehashed).not.toBe(older);
    expect(rehashed).toContain('m=19456,t=2,p=1');
    // Left alone when it is today's.
    await t.http
      .post('/v1/auth/login')
      .send({ email: agent.email, password: PASSWORD })
      .expect(200);
    expect(await hashOf()).toBe(rehashed);
  });

  it('rejects tampered, foreign-signed and expired access tokens', async () => {
    const agent = await registerAgent(t);
    const tampered = agent.accessToken.slice(0, -3) + 'AAA';
    const foreign = await new JwtService({ secret: 'another-secret-another-secret-123' }).signAsync(
      {
        sub: agent.id,
        role: 'admin',
        cid: null,
      },
    );
    const expired = await new JwtService({ secret: TEST_JWT_SECRET }).signAsync(
      { sub: agent.id, role: 'agent', cid: null },
      { expiresIn: -10 },
    );
    for (const token of [tampered, foreign, expired, 'garbage']) {
      const res = await t.http.get('/v1/me').set('Authorization', `Bearer ${token}`).expect(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
    }
  });

  describe('refresh tokens', () => {
    it('rotates: each refresh returns a new pair and spends the old token', async () => {
      const agent = await registerAgent(t);
      const first = await t.http
        .post('/v1/auth/refresh')
        .send({ refreshToken: agent.refreshToken })
        .expect(200);
      expect(first.body.refreshToken).not.toBe(agent.refreshToken);
      await t.http
        .get('/v1/me')
        .set('Authorization', `Bearer ${first.body.accessToken}`)
        .expect(200);
      const second = await t.http
        .post('/v1/auth/refresh')
        .send({ refreshToken: first.body.refreshToken })
        .expect(200);
      expect(second.body.refreshToken).not.toBe(first.body.refreshToken);
    });

    const refresh = (refreshToken: string, app: TestApp = t) =>
      app.http.post('/v1/auth/refresh').send({ refreshToken });

    it('detects reuse of a spent token once its successor was used: the whole family is revoked', async () => {
      const agent = await registerAgent(t);
      const first = await refresh(agent.refreshToken).expect(200);
      const second = await refresh(first.body.refreshToken).expect(200);
      const reuse = await refresh(agent.refreshToken).expect(401);
      expect(reuse.body.error.code).toBe('REFRESH_TOKEN_REUSED');
      // The legitimate newest token dies with the family.
      const newest = await refresh(second.body.refreshToken).expect(401);
      expect(newest.body.error.code).toBe('INVALID_REFRESH_TOKEN');
    });

    it('detects reuse after the grace period, even with the successor unused', async () => {
      const agent = await registerAgent(t);
      const rotated = await refresh(agent.refreshToken).expect(200);
      const [id] = agent.refreshToken.split('.');
      const grace = t.env.REFRESH_TOKEN_REUSE_GRACE_SECONDS;
      await t.db.query(
        `UPDATE refresh_tokens SET used_at = now() - make_interval(secs => $2 + 1) WHERE id = $1`,
        [id, grace],
      );
      const reuse = await refresh(agent.refreshToken).expect(401);
      expect(reuse.body.error.code).toBe('REFRESH_TOKEN_REUSED');
      const successor = await refresh(rotated.body.refreshToken).expect(401);
      expect(successor.body.error.code).toBe('INVALID_REFRESH_TOKEN');
    });

    it('a reuse within the grace, before the successor was used, gets a token: the answer was lost', async () => {
      const agent = await registerAgent(t);
      const lost = await refresh(agent.refreshToken).expect(200);
      const retried = await refresh(agent.refreshToken).expect(200);
      expect(retried.body.refreshToken).not.toBe(lost.body.refreshToken);
      await t.http
        .get('/v1/me')
        .set('Authorization', `Bearer ${retried.body.accessToken}`)
        .expect(200);
      // The login goes on from the one the client kept; the other is revoked by that use.
      const next = await refresh(retried.body.refreshToken).expect(200);
      const [{ families }] = await t.db.query(
        `SELECT count(DISTINCT family_id)::int AS families FROM refresh_tokens WHERE user_id = $1`,
        [agent.id],
      );
      expect(families).toBe(1);
      // The chain has moved on: the first token again is reuse, and ends the login.
      const reuse = await refresh(agent.refreshToken).expect(401);
      expect(reuse.body.error.code).toBe('REFRESH_TOKEN_REUSED');
      for (const token of [lost.body.refreshToken, next.body.refreshToken]) {
        expect((await refresh(token).expect(401)).body.error.code).toBe('INVALID_REFRESH_TOKEN');
      }
    });

    it('a copy replayed within the grace leaves no second login: whichever sibling is used second ends it', async () => {
      for (const firstUser of ['owner', 'copy'] as const) {
        const agent = await registerAgent(t);
        const owner = await refresh(agent.refreshToken).expect(200); // the owner's refresh
        const copy = await refresh(agent.refreshToken).expect(200); // a stolen copy, replayed
        const [first, second] = firstUser === 'owner' ? [owner, copy] : [copy, owner];
        const onward = await refresh(first.body.refreshToken).expect(200);
        // The other sibling, presented later, is the second use of the token the two share.
        const caught = await refresh(second.body.refreshToken).expect(401);
        expect(caught.body.error.code).toBe('REFRESH_TOKEN_REUSED');
        const ended = await refresh(onward.body.refreshToken).expect(401);
        expect(ended.body.error.code).toBe('INVALID_REFRESH_TOKEN');
      }
    });

    it('concurrent refreshes with one token within the grace each get their own successor', async () => {
      const agent = await registerAgent(t);
      const results = await Promise.all(
        Array.from({ length: 5 }, () => refresh(agent.refreshToken)),
      );
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      const tokens = new Set(results.map((r) => r.body.refreshToken as string));
      expect(tokens.size).toBe(5);
      const [{ used }] = await t.db.query(
        `SELECT count(*)::int AS used FROM refresh_tokens WHERE user_id = $1 AND used_at IS NOT NULL`,
        [agent.id],
      );
      expect(used).toBe(1); // the presented token, spent once
    });

    it('with REFRESH_TOKEN_REUSE_GRACE_SECONDS=0 any second use revokes the family', async () => {
      const strict = await createTestApp({
        shareWith: t,
        env: { REFRESH_TOKEN_REUSE_GRACE_SECONDS: '0' },
      });
      try {
        const agent = await registerAgent(strict);
        const results = await Promise.all(
          Array.from({ length: 5 }, () => refresh(agent.refreshToken, strict)),
        );
        expect(results.filter((r) => r.status === 200)).toHaveLength(1);
        expect(results.filter((r) => r.status === 401)).toHaveLength(4);
        const winner = results.find((r) => r.status === 200)!;
        await refresh(winner.body.refreshToken, strict).expect(401);
      } finally {
        await strict.close();
      }
    });

    it('keeps other logins of the same user alive when one family is revoked', async () => {
      const agent = await registerAgent(t);
      const other = await t.http
        .post('/v1/auth/login')
        .send({ email: agent.email, password: PASSWORD })
        .expect(200);
      await t.http.post('/v1/auth/logout').send({ refreshToken: agent.refreshToken }).expect(204);
      await t.http
        .post('/v1/auth/refresh')
        .send({ refreshToken: other.body.refreshToken })
        .expect(200);
    });

    it('refuses forged, malformed and expired tokens', async () => {
      const agent = await registerAgent(t);
      const [id] = agent.refreshToken.split('.');
      const forged = `${id}.${'x'.repeat(43)}`;
      for (const refreshToken of [
        forged,
        'not-a-token',
        `${crypto.randomUUID()}.${'y'.repeat(43)}`,
      ]) {
        const res = await t.http.post('/v1/auth/refresh').send({ refreshToken }).expect(401);
        expect(res.body.error.code).toBe('INVALID_REFRESH_TOKEN');
      }
      await t.db.query(
        `UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`,
        [id],
      );
      await t.http.post('/v1/auth/refresh').send({ refreshToken: agent.refreshToken }).expect(401);
    });
  });

  describe('logout', () => {
    it('revokes the refresh token and its whole family', async () => {
      const agent = await registerAgent(t);
      const rotated = await t.http
        .post('/v1/auth/refresh')
        .send({ refreshToken: agent.refreshToken })
        .expect(200);
      await t.http
        .post('/v1/auth/logout')
        .send({ refreshToken: rotated.body.refreshToken })
        .expect(204);
      const res = await t.http
        .post('/v1/auth/refresh')
        .send({ refreshToken: rotated.body.refreshToken })
        .expect(401);
      expect(res.body.error.code).toBe('INVALID_REFRESH_TOKEN');
      const [{ open }] = await t.db.query(
        'SELECT count(*)::int AS open FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL',
        [agent.id],
      );
      expect(open).toBe(0);
    });

    it('revokes a successor a refresh was committing meanwhile: the logout waits for it', async () => {
      const agent = await registerAgent(t);
      const [{ family_id: family }] = await t.db.query(
        'SELECT family_id FROM refresh_tokens WHERE user_id = $1',
        [agent.id],
      );
      // A rotation holds the family's lock and has inserted the successor, not yet committed.
      await withRowsHeld(
        t,
        'SELECT pg_advisory_xact_lock(hashtextextended($1, 7))',
        [family],
        async (held) => {
          await held.query(
            `INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at, authenticated_at)
             VALUES ($1, $2, 'successor', now() + interval '30 days', now())`,
            [agent.id, family],
          );
          const loggingOut = t.http
            .post('/v1/auth/logout')
            .send({ refreshToken: agent.refreshToken })
            .then((r) => r);
          await waitForLockWaiters(t, 1, 'the logout to wait for the rotation');
          await held.commitTransaction();
          expect((await loggingOut).status).toBe(204);
        },
      );
      const alive = await t.db.query(
        'SELECT token_hash FROM refresh_tokens WHERE family_id = $1 AND revoked_at IS NULL',
        [family],
      );
      expect(alive).toEqual([]);
    });

    it('answers 204 for an unknown or malformed token, revealing nothing', async () => {
      await t.http
        .post('/v1/auth/logout')
        .send({ refreshToken: `${'f'.repeat(36)}.${'z'.repeat(43)}` })
        .expect(204);
      await t.http
        .post('/v1/auth/logout')
        .send({ refreshToken: `${crypto.randomUUID()}.${'z'.repeat(43)}` })
        .expect(204);
    });
  });
});
