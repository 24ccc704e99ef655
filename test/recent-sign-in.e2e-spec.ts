/*
 * Routes that hand out lasting access (an API key, a webhook's address or secret, a payout
 * account's onboarding) want the password proven in the last RECENT_SIGN_IN_MINUTES: a stolen
 * access token or refresh cookie alone cannot turn into access that outlives a password change.
 * POST /v1/auth/reauthenticate proves it again for the caller's login.
 */
import { JwtService } from '@nestjs/jwt';
import {
  createApiKey,
  PASSWORD,
  registerAgent,
  registerCompany,
  rowCounts,
  SignedIn,
} from './support/factories';
import { waitForLockWaiters, withRowsHeld } from './support/row-locks';
import { createTestApp, TEST_JWT_SECRET, TestApp } from './support/test-app';

describe('a recent sign-in for the routes that hand out lasting access', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const reauthenticate = (auth: { Authorization: string }, password: unknown = PASSWORD) =>
    t.http.post('/v1/auth/reauthenticate').set(auth).send({ password });
  /** The login proved its password `minutes` ago: what a refresh then carries. */
  const provedAgo = async (who: SignedIn, minutes: number) =>
    t.db.query(
      `UPDATE refresh_tokens SET authenticated_at = now() - make_interval(mins => $2)
        WHERE user_id = $1`,
      [who.id, minutes],
    );
  /** A fresh access token from the login's refresh token (the console's renewal). */
  const renewed = async (who: SignedIn): Promise<SignedIn> => {
    const res = await t.http
      .post('/v1/auth/refresh')
      .send({ refreshToken: who.refreshToken })
      .expect(200);
    return {
      ...who,
      accessToken: res.body.accessToken,
      refreshToken: res.body.refreshToken,
      auth: bearer(res.body.accessToken),
    };
  };
  /** A company admin whose login proved its password 11 minutes ago (the limit is 10). */
  const staleCompany = async () => {
    const company = await registerCompany(t);
    await t.http
      .put('/v1/companies/me/webhook')
      .set(company.auth)
      .send({ url: 'https://hooks.example.com/first' })
      .expect(200);
    await provedAgo(company, 11);
    return renewed(company);
  };
  const sensitive = {
    createKey: (auth: { Authorization: string }) =>
      t.http.post('/v1/companies/me/api-keys').set(auth).send({ name: 'bot' }),
    setWebhook: (auth: { Authorization: string }) =>
      t.http
        .put('/v1/companies/me/webhook')
        .set(auth)
        .send({ url: 'https://attacker.example.net/in' }),
    rotateSecret: (auth: { Authorization: string }) =>
      t.http.post('/v1/companies/me/webhook/rotate-secret').set(auth).send(),
  };

  it('refuses each of them 403 RECENT_SIGN_IN_REQUIRED past the limit, writing nothing', async () => {
    const company = await staleCompany();
    const before = await rowCounts(t);
    const [{ secret_before: secretBefore }] = await t.db.query(
      `SELECT secret AS secret_before FROM webhook_endpoints WHERE company_id = $1`,
      [company.companyId],
    );
    for (const call of Object.values(sensitive)) {
      const res = await call(company.auth).expect(403);
      expect(res.body.error.code).toBe('RECENT_SIGN_IN_REQUIRED');
      expect(res.body.error.details.withinMinutes).toBe(10);
      const signedInAt = Date.parse(res.body.error.details.signedInAt);
      expect(Date.now() - signedInAt).toBeGreaterThan(10 * 60_000);
      expect(Date.now() - signedInAt).toBeLessThan(12 * 60_000);
    }
    expect(await rowCounts(t)).toEqual(before);
    const [webhook] = await t.db.query(
      `SELECT url, secret FROM webhook_endpoints WHERE company_id = $1`,
      [company.companyId],
    );
    expect(webhook).toEqual({ url: 'https://hooks.example.com/first', secret: secretBefore });
    // Routes that hand out nothing lasting still answer.
    await t.http.get('/v1/companies/me/api-keys').set(company.auth).expect(200);
  });

  it("refuses an agent's payout onboarding past the limit, and takes it after a reauthentication", async () => {
    const agent = await registerAgent(t);
    await provedAgo(agent, 11);
    const stale = await renewed(agent);
    const onboard = (auth: { Authorization: string }) =>
      t.http.post('/v1/agents/me/payout-account').set(auth).send();
    expect((await onboard(stale.auth).expect(403)).body.error.code).toBe('RECENT_SIGN_IN_REQUIRED');
    const [{ n }] = await t.db.query(
      `SELECT count(*)::int AS n FROM payout_accounts WHERE agent_id = $1`,
      [agent.id],
    );
    expect(n).toBe(0);
    const again = await reauthenticate(stale.auth).expect(200);
    await onboard(bearer(again.body.accessToken)).expect(200);
  });

  it('takes them after the password is given again, on this login and its renewals only', async () => {
    const company = await staleCompany();
    // Another login of the same account (a thief's copy of an older refresh cookie, say).
    const other = await renewed({
      ...company,
      refreshToken: (
        await t.http.post('/v1/auth/login').send({ email: company.email, password: PASSWORD })
      ).body.refreshToken,
    });
    await provedAgo(company, 11); // both logins proved it 11 minutes ago
    const stale = await renewed(company);
    // The console sends the refused step again, with its key, once the password is given.
    const keyed = (auth: { Authorization: string }) =>
      t.http
        .post('/v1/companies/me/api-keys')
        .set(auth)
        .set('Idempotency-Key', 'create-after-prompt')
        .send({ name: 'bot' });
    expect((await keyed(stale.auth).expect(403)).body.error.code).toBe('RECENT_SIGN_IN_REQUIRED');
    const res = await reauthenticate(stale.auth).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    expect(res.body.refreshToken).not.toBe(stale.refreshToken);
    expect(res.body.user).toMatchObject({ id: company.id, role: 'company_admin' });
    await keyed(bearer(res.body.accessToken)).expect(201);
    // The login's next tokens, from the refresh token it answered, carry the time on; the other
    // login's do not.
    const later = await renewed({ ...stale, refreshToken: res.body.refreshToken });
    await sensitive.rotateSecret(later.auth).expect(200);
    const otherLater = await renewed(other);
    expect((await sensitive.createKey(otherLater.auth).expect(403)).body.error.code).toBe(
      'RECENT_SIGN_IN_REQUIRED',
    );
  });

  it('gives a copy of the refresh token taken before it nothing: used first, it ends the login', async () => {
    const company = await staleCompany();
    const copied = company.refreshToken; // a thief's copy, kept unused
    const res = await reauthenticate(company.auth).expect(200);
    // Renewed with the login's earlier time, not the one the owner's password gave.
    const early = await t.http.post('/v1/auth/refresh').send({ refreshToken: copied }).expect(200);
    expect(
      (await sensitive.createKey(bearer(early.body.accessToken)).expect(403)).body.error.code,
    ).toBe('RECENT_SIGN_IN_REQUIRED');
    // The copy's use revoked the owner's new token: presented, it is taken for the stolen one.
    const refused = await t.http
      .post('/v1/auth/refresh')
      .send({ refreshToken: res.body.refreshToken })
      .expect(401);
    expect(refused.body.error.code).toBe('REFRESH_TOKEN_REUSED');
    await t.http
      .post('/v1/auth/refresh')
      .send({ refreshToken: early.body.refreshToken })
      .expect(401);
    // And an access token of that login, fresh as it is, mints nothing any more.
    expect(
      (await sensitive.createKey(bearer(res.body.accessToken)).expect(401)).body.error.code,
    ).toBe('UNAUTHENTICATED');
  });

  it('leaves the token held before working when the answer is lost, without the new time', async () => {
    const company = await staleCompany();
    await reauthenticate(company.auth).expect(200); // its answer never arrives
    // Whenever the client renews next, its token still works: not signed out for a lost answer.
    const later = await renewed(company);
    expect((await sensitive.createKey(later.auth).expect(403)).body.error.code).toBe(
      'RECENT_SIGN_IN_REQUIRED',
    );
    // Once the owner's own token was used, the unused new one is revoked (nobody holds it).
    await renewed(later);
  });

  it("puts the new token in the console's cookie, only when the cookie is this login's", async () => {
    const company = await staleCompany();
    const cookieOf = (token: string) => `handoff_session=${token}`;
    const viaConsole = (cookie: string) =>
      t.http
        .post('/v1/auth/session/reauthenticate')
        .set(company.auth)
        .set('X-Handoff-Console', '1')
        .set('Cookie', cookie)
        .send({ password: PASSWORD });
    // A cookie of another login (another tab signed this browser in since): nothing changes.
    const elsewhere = await t.http
      .post('/v1/auth/login')
      .send({ email: company.email, password: PASSWORD })
      .expect(200);
    const refused = await viaConsole(cookieOf(elsewhere.body.refreshToken)).expect(401);
    expect(refused.body.error.code).toBe('UNAUTHENTICATED');
    expect(refused.headers['set-cookie']).toBeUndefined();
    await viaConsole('').expect(401);
    // Nor a token of this login that another copy's use revoked: the renewal it leads to finds
    // the theft, which a new token here would have hidden.
    const [, id] = /^([^.]+)\./.exec(company.refreshToken)!;
    await t.db.query('UPDATE refresh_tokens SET revoked_at = now() WHERE id = $1', [id]);
    await viaConsole(cookieOf(company.refreshToken)).expect(401);
    await t.db.query('UPDATE refresh_tokens SET revoked_at = NULL WHERE id = $1', [id]);

    const res = await viaConsole(cookieOf(company.refreshToken)).expect(200);
    expect(res.body).toMatchObject({ tokenType: 'Bearer', user: { id: company.id } });
    expect(res.body.refreshToken).toBeUndefined();
    const set = [res.headers['set-cookie']].flat().find((c) => c?.startsWith('handoff_session='));
    expect(set).toMatch(/HttpOnly/);
    const token = decodeURIComponent(set!.slice('handoff_session='.length).split(';')[0]);
    // The cookie's new token renews with the time the password gave.
    const renewedConsole = await t.http
      .post('/v1/auth/session/refresh')
      .set('X-Handoff-Console', '1')
      .set('Cookie', cookieOf(token))
      .expect(200);
    await sensitive.createKey(bearer(renewedConsole.body.accessToken)).expect(201);
    const without = await t.http
      .post('/v1/auth/session/reauthenticate')
      .set(company.auth)
      .send({ password: PASSWORD })
      .expect(400);
    expect(without.body.error.details.fields[0].field).toBe('X-Handoff-Console');
  });

  it('refuses a wrong password naming the field, and proves nothing', async () => {
    const company = await staleCompany();
    const res = await reauthenticate(company.auth, 'not the password at all').expect(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual([
      'password',
    ]);
    await sensitive.createKey(company.auth).expect(403);
    const invalid = await reauthenticate(company.auth, 42).expect(400);
    expect(invalid.body.error.details.fields[0].field).toBe('password');
  });

  it('refuses anonymous callers and bots, and a login that ended since', async () => {
    const company = await registerCompany(t);
    await t.http.post('/v1/auth/reauthenticate').send({ password: PASSWORD }).expect(401);
    const key = await createApiKey(t, company);
    const bot = await t.http
      .post('/v1/auth/reauthenticate')
      .set('Authorization', `Bearer ${key}`)
      .send({ password: PASSWORD })
      .expect(403);
    expect(bot.body.error.code).toBe('FORBIDDEN');
    await t.http.post('/v1/auth/logout').send({ refreshToken: company.refreshToken }).expect(204);
    // The access token lives on for its 15 minutes; its login does not.
    const ended = await reauthenticate(company.auth).expect(401);
    expect(ended.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a fresh token whose login ended since (signed out, password changed)', async () => {
    const company = await registerCompany(t);
    await t.http.post('/v1/auth/logout').send({ refreshToken: company.refreshToken }).expect(204);
    expect((await sensitive.createKey(company.auth).expect(401)).body.error.code).toBe(
      'UNAUTHENTICATED',
    );
    const changed = await registerCompany(t);
    await t.http
      .post('/v1/auth/password')
      .set(changed.auth)
      .send({ currentPassword: PASSWORD, newPassword: 'a longer horse, stapled twice' })
      .expect(204);
    await sensitive.setWebhook(changed.auth).expect(401);
    const [{ n }] = await t.db.query(
      `SELECT (SELECT count(*) FROM api_keys WHERE company_id = ANY($1::uuid[]))
            + (SELECT count(*) FROM webhook_endpoints WHERE company_id = ANY($1::uuid[]))::int AS n`,
      [[company.companyId, changed.companyId]],
    );
    expect(Number(n)).toBe(0);
  });

  it('takes a login from before the migration (no time recorded: the epoch) for not recent', async () => {
    const company = await registerCompany(t);
    // The column's default, as a process of the release before inserts a token during the
    // deploy, and as the migration leaves logins that exist when it runs.
    await t.db.query(`UPDATE refresh_tokens SET authenticated_at = DEFAULT WHERE user_id = $1`, [
      company.id,
    ]);
    const stale = await renewed(company);
    const res = await sensitive.createKey(stale.auth).expect(403);
    expect(res.body.error.details.signedInAt).toBeNull();
  });

  it('refuses a token whose login or time is not what this API signs', async () => {
    const company = await registerCompany(t);
    const sign = (claims: Record<string, unknown>) =>
      new JwtService({ secret: TEST_JWT_SECRET }).signAsync(
        { sub: company.id, role: 'company_admin', cid: company.companyId, ...claims },
        { expiresIn: 900 },
      );
    for (const claims of [
      { sid: 'not-a-uuid', auth_time: 1 },
      { sid: company.id, auth_time: 'now' },
    ]) {
      await t.http
        .get('/v1/companies/me')
        .set(bearer(await sign(claims)))
        .expect(401);
    }
  });

  it('checks the role first: a wrong role is told FORBIDDEN, not to sign in again', async () => {
    const agent = await registerAgent(t);
    await provedAgo(agent, 11);
    const stale = await renewed(agent);
    expect((await sensitive.createKey(stale.auth).expect(403)).body.error.code).toBe('FORBIDDEN');
  });

  it('takes a token signed before logins carried the time for not recent, and its login for unknown', async () => {
    const company = await registerCompany(t);
    const old = await new JwtService({ secret: TEST_JWT_SECRET }).signAsync(
      { sub: company.id, role: 'company_admin', cid: company.companyId },
      { expiresIn: 900 },
    );
    expect((await sensitive.createKey(bearer(old)).expect(403)).body.error.code).toBe(
      'RECENT_SIGN_IN_REQUIRED',
    );
    expect((await reauthenticate(bearer(old)).expect(401)).body.error.code).toBe('UNAUTHENTICATED');
    // One naming another account's login proves nothing for it.
    const other = await registerCompany(t);
    const [{ family_id: family }] = await t.db.query(
      'SELECT family_id FROM refresh_tokens WHERE user_id = $1',
      [other.id],
    );
    const forged = await new JwtService({ secret: TEST_JWT_SECRET }).signAsync(
      { sub: company.id, role: 'company_admin', cid: company.companyId, sid: family, auth_time: 1 },
      { expiresIn: 900 },
    );
    await reauthenticate(bearer(forged)).expect(401);
  });

  it('leaves no new token alive after a sign-out that was committing meanwhile', async () => {
    const company = await staleCompany();
    const [{ family_id: family }] = await t.db.query(
      'SELECT DISTINCT family_id FROM refresh_tokens WHERE user_id = $1',
      [company.id],
    );
    await withRowsHeld(
      t,
      'SELECT pg_advisory_xact_lock(hashtextextended($1, 7))',
      [family],
      async (held) => {
        // A sign-out holds the login's lock and has revoked its tokens, not yet committed.
        await held.query(
          'UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL',
          [family],
        );
        const proving = reauthenticate(company.auth).then((r) => r);
        await waitForLockWaiters(t, 1, 'the reauthentication to wait for the sign-out');
        await held.commitTransaction();
        expect((await proving).status).toBe(401);
      },
    );
    const [{ alive }] = await t.db.query(
      'SELECT count(*)::int AS alive FROM refresh_tokens WHERE family_id = $1 AND revoked_at IS NULL',
      [family],
    );
    expect(alive).toBe(0);
  });
});
