/*
 * A signed-in person changes their own password (POST /v1/auth/password): given the current
 * one, every login of the account ends, the new password signs in and the old does not; a wrong
 * current password changes nothing and counts in the sign-in slowdown.
 */
import {
  createApiKey,
  createStaff,
  PASSWORD,
  registerAgent,
  registerCompany,
  SignedIn,
} from './support/factories';
import { createTestApp, TestApp } from './support/test-app';
import * as argon2 from 'argon2';
import { PasswordHasher } from '../src/modules/users/password-hasher.service';
import { UsersService } from '../src/modules/users/users.service';
import { AuthService } from '../src/modules/auth/auth.service';
import { RefreshTokensService } from '../src/modules/auth/refresh-tokens.service';

const NEW_PASSWORD = 'a longer horse, stapled twice';

describe('changing your password', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  const change = (who: { Authorization: string } | null, body: Record<string, unknown>) => {
    const req = t.http.post('/v1/auth/password');
    return (who ? req.set(who) : req).send(body);
  };
  const login = (email: string, password: string) =>
    t.http.post('/v1/auth/login').send({ email, password });
  const refresh = (refreshToken: string) => t.http.post('/v1/auth/refresh').send({ refreshToken });
  const fieldsOf = (body: { error: { details: { fields: { field: string }[] } } }) =>
    body.error.details.fields.map((f) => f.field);

  it('given the current password, sets the new one and ends every login of the account, this one too', async () => {
    const agent = await registerAgent(t);
    const other = await login(agent.email, PASSWORD).expect(200); // another browser
    await change(agent.auth, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }).expect(204);
    for (const token of [agent.refreshToken, other.body.refreshToken as string]) {
      const refused = await refresh(token).expect(401);
      expect(refused.body.error.code).toMatch(/^(INVALID_REFRESH_TOKEN|REFRESH_TOKEN_REUSED)$/);
    }
    expect((await login(agent.email, PASSWORD).expect(401)).body.error.code).toBe(
      'INVALID_CREDENTIALS',
    );
    await login(agent.email, NEW_PASSWORD).expect(200);
  });

  it('refuses a sign-in whose old password was checked just before a change committed and its login issued after', async () => {
    const agent = await registerAgent(t);
    const users = t.app.get(UsersService);
    const real = users.rehashIfStale.bind(users);
    // Between the sign-in's password check and its token: the owner changes the password.
    const spy = jest.spyOn(users, 'rehashIfStale').mockImplementationOnce(async (found, given) => {
      await change(agent.auth, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }).expect(
        204,
      );
      return real(found, given);
    });
    try {
      const late = await login(agent.email, PASSWORD).expect(401);
      expect(late.body.error.code).toBe('INVALID_CREDENTIALS');
    } finally {
      spy.mockRestore();
    }
    // No login of the account outlives the change.
    const [{ live }] = await t.db.query(
      `SELECT count(*)::int AS live FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL`,
      [agent.id],
    );
    expect(live).toBe(0);
    await login(agent.email, NEW_PASSWORD).expect(200);
  });

  it('goes on when a sign-in rehashed the same password between its check and its write', async () => {
    const agent = await registerAgent(t);
    const hasher = t.app.get(PasswordHasher);
    const users = t.app.get(UsersService);
    const real = hasher.hash.bind(hasher);
    // While the new password is hashed, the current one is hashed again (another salt), as a
    // sign-in does after ARGON2_* was raised.
    const spy = jest.spyOn(hasher, 'hash').mockImplementationOnce(async (given) => {
      await users.setPassword(agent.email, PASSWORD);
      return real(given);
    });
    try {
      await change(agent.auth, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }).expect(
        204,
      );
    } finally {
      spy.mockRestore();
    }
    await login(agent.email, NEW_PASSWORD).expect(200);
  });

  it('answers 409 CONFLICT, not a wrong password, when the hash keeps changing under it', async () => {
    const agent = await registerAgent(t);
    const users = t.app.get(UsersService);
    // Every write finds another hash (processes rehashing each other's during a rolling change).
    const spy = jest.spyOn(users, 'replacePasswordHash').mockResolvedValue(false);
    try {
      const busy = await change(agent.auth, {
        currentPassword: PASSWORD,
        newPassword: NEW_PASSWORD,
      }).expect(409);
      expect(busy.body.error.code).toBe('CONFLICT');
      expect(spy).toHaveBeenCalledTimes(3);
    } finally {
      spy.mockRestore();
    }
    await login(agent.email, PASSWORD).expect(200);
  });

  it('keeps both of two sign-ins that rehash the same stale hash at once', async () => {
    const agent = await registerAgent(t);
    const users = t.app.get(UsersService);
    // Made with other argon2 settings than the app's: stale, so each sign-in rehashes it.
    const stale = await argon2.hash(PASSWORD, {
      type: argon2.argon2id,
      memoryCost: 2048,
      timeCost: 1,
      parallelism: 1,
    });
    await t.db.query('UPDATE users SET password_hash = $2 WHERE id = $1', [agent.id, stale]);
    const found = { id: agent.id, role: 'agent' as const, companyId: null, passwordHash: stale };
    // One rehash wins; the other's write finds another hash, made from the same password.
    const hashes = await Promise.all([
      users.rehashIfStale(found, PASSWORD),
      users.rehashIfStale(found, PASSWORD),
    ]);
    for (const hash of hashes) {
      expect(await users.passwordStill(t.db.manager, agent.id, hash)).toBe(true);
    }
    const [a, b] = await Promise.all([login(agent.email, PASSWORD), login(agent.email, PASSWORD)]);
    expect([a.status, b.status]).toEqual([200, 200]);
  });

  it('refuses a wrong current password with 400 naming currentPassword, changes nothing, and counts it as a failed sign-in', async () => {
    const agent = await registerAgent(t);
    const hashOf = async () =>
      (
        await t.db.query<{ password_hash: string }[]>(
          'SELECT password_hash FROM users WHERE id = $1',
          [agent.id],
        )
      )[0].password_hash;
    const before = await hashOf();
    for (let i = 0; i < 5; i++) {
      const wrong = await change(agent.auth, {
        currentPassword: `not it ${i}`,
        newPassword: NEW_PASSWORD,
      }).expect(400);
      expect(fieldsOf(wrong.body)).toEqual(['currentPassword']);
    }
    // Five failures: the next attempt waits, whether a change or a sign-in, right or wrong.
    const slowed = await change(agent.auth, {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
    }).expect(429);
    expect(slowed.body.error).toMatchObject({ code: 'RATE_LIMITED' });
    expect((await login(agent.email, PASSWORD)).status).toBe(429);
    // Nothing changed: the login still refreshes, and the password is the old one.
    await refresh(agent.refreshToken).expect(200);
    expect(await hashOf()).toBe(before);
  });

  it('names newPassword when it is too short, blank or the current one; each field when missing', async () => {
    const agent = await registerAgent(t);
    const cases: [Record<string, unknown>, string[]][] = [
      [{ currentPassword: PASSWORD, newPassword: 'short' }, ['newPassword']],
      [{ currentPassword: PASSWORD, newPassword: ' '.repeat(12) }, ['newPassword']],
      [{ currentPassword: PASSWORD, newPassword: 'x'.repeat(129) }, ['newPassword']],
      // Halves of surrogate pairs are read as U+FFFD: every such password would be one.
      [{ currentPassword: PASSWORD, newPassword: '\ud800'.repeat(12) }, ['newPassword']],
      [{ currentPassword: PASSWORD, newPassword: PASSWORD }, ['newPassword']],
      [{}, ['currentPassword', 'newPassword']],
      [{ currentPassword: 12, newPassword: NEW_PASSWORD }, ['currentPassword']],
    ];
    for (const [body, fields] of cases) {
      const res = await change(agent.auth, body).expect(400);
      expect(fieldsOf(res.body).sort()).toEqual(fields);
    }
    await refresh(agent.refreshToken).expect(200); // nothing ended
  });

  it('is for signed-in people of every role: anonymous 401, a bot 403; staff and company admins change theirs', async () => {
    const company = await registerCompany(t);
    expect((await change(null, {}).expect(401)).body.error.code).toBe('UNAUTHENTICATED');
    const key = await createApiKey(t, company);
    await change(
      { Authorization: `Bearer ${key}` },
      { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    ).expect(403);
    const people: SignedIn[] = [
      company,
      await createStaff(t, 'finance'),
      await createStaff(t, 'admin'),
    ];
    for (const person of people) {
      await change(person.auth, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }).expect(
        204,
      );
      await login(person.email, NEW_PASSWORD).expect(200);
    }
  });
  it('answers a token whose account is gone 401 UNAUTHENTICATED, as every other route does', async () => {
    const gone = await createStaff(t, 'finance');
    await t.db.query('DELETE FROM users WHERE id = $1', [gone.id]);
    const res = await change(gone.auth, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect([res.status, res.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
  });

  // The CLI's users:set-password (AuthService.setPasswordEverywhere): the new password and the
  // end of every login commit together. Apart, a process dying between the two left a leaked
  // password replaced and the sessions of whoever held it alive.
  it('sets a password by the operator and ends the logins in one transaction: both or neither', async () => {
    const agent = await registerAgent(t);
    const auth = t.app.get(AuthService);
    const tokens = t.app.get(RefreshTokensService);
    const spy = jest
      .spyOn(tokens, 'revokeAllOf')
      .mockRejectedValueOnce(new Error('the connection dropped'));
    try {
      await expect(auth.setPasswordEverywhere(agent.email, NEW_PASSWORD)).rejects.toThrow(
        'the connection dropped',
      );
    } finally {
      spy.mockRestore();
    }
    // Neither: the old password still signs in, and the login goes on.
    await login(agent.email, PASSWORD).expect(200);
    await login(agent.email, NEW_PASSWORD).expect(401);
    await refresh(agent.refreshToken).expect(200);
    // Both.
    const set = await auth.setPasswordEverywhere(agent.email.toUpperCase(), NEW_PASSWORD);
    expect(set).toMatchObject({ user: { id: agent.id }, ended: 2 });
    await login(agent.email, NEW_PASSWORD).expect(200);
    await expect(auth.setPasswordEverywhere('nobody@example.com', NEW_PASSWORD)).resolves.toBe(
      null,
    );
  });
});
