import { RefreshTokenPruner } from '../src/modules/auth/refresh-token-pruner.service';
import { registerAgent } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

const DAY = 86_400_000;

/**
 * A login ends REFRESH_SESSION_MAX_DAYS after its sign-in however often it is refreshed (each
 * refresh gave the chain another REFRESH_TOKEN_TTL_DAYS, for ever), and tokens long expired
 * are pruned (every token of every login stayed).
 */
describe('refresh token logins', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ workers: true, env: { REFRESH_SESSION_MAX_DAYS: '90' } });
  });
  afterAll(() => t.close());

  const refresh = (refreshToken: string) => t.http.post('/v1/auth/refresh').send({ refreshToken });
  const familyOf = async (token: string): Promise<string> =>
    (
      await t.db.query(`SELECT family_id FROM refresh_tokens WHERE id = $1`, [token.split('.')[0]])
    )[0].family_id;
  const loginBegan = (family: string, msAgo: number) =>
    t.db.query(`UPDATE refresh_tokens SET login_at = $2 WHERE family_id = $1`, [
      family,
      new Date(Date.now() - msAgo),
    ]);

  it('ends a login REFRESH_SESSION_MAX_DAYS after its sign-in, however often refreshed', async () => {
    const agent = await registerAgent(t);
    const family = await familyOf(agent.refreshToken);
    const [first] = await t.db.query(
      `SELECT login_at, created_at FROM refresh_tokens WHERE family_id = $1`,
      [family],
    );
    // The sign-in's time (the process's clock; created_at is the database's).
    expect(Math.abs(first.login_at.getTime() - first.created_at.getTime())).toBeLessThan(5000);
    // Signed in 89 days and 23 hours ago, refreshed all along: an hour is left, and the new
    // token lasts that hour, not another 30 days.
    await loginBegan(family, 89 * DAY + 23 * 3_600_000);
    const last = await refresh(agent.refreshToken).expect(200);
    const [next] = await t.db.query(
      `SELECT expires_at, login_at FROM refresh_tokens WHERE id = $1`,
      [last.body.refreshToken.split('.')[0]],
    );
    expect(next.login_at.getTime()).toBeLessThan(Date.now() - 89 * DAY);
    expect(next.expires_at.getTime() - Date.now()).toBeLessThanOrEqual(3_600_000);
    expect(next.expires_at.getTime() - Date.now()).toBeGreaterThan(3_500_000);
    // Past the 90 days: the chain is refused, and the user signs in again.
    await loginBegan(family, 90 * DAY + 1000);
    const ended = await refresh(last.body.refreshToken).expect(401);
    expect(ended.body.error.code).toBe('INVALID_REFRESH_TOKEN');
    // A spent token of the ended login is no reuse either (nobody is left to sign out), though
    // the login's last token has not expired yet.
    const spent = await refresh(agent.refreshToken).expect(401);
    expect(spent.body.error.code).toBe('INVALID_REFRESH_TOKEN');
  });

  it("prunes a login's tokens 30 days after its end; a live or lately ended login keeps them all", async () => {
    const begun = async (daysAgo: number) => {
      const agent = await registerAgent(t);
      const spent = await refresh(agent.refreshToken).expect(200);
      await loginBegan(await familyOf(agent.refreshToken), daysAgo * DAY);
      return [agent.refreshToken, spent.body.refreshToken as string];
    };
    const gone = await begun(121); // ended 31 days ago
    const ended = await begun(100); // ended 10 days ago
    const live = await begun(60);
    expect(await t.app.get(RefreshTokenPruner).prune()).toBeGreaterThanOrEqual(2);
    const ids = (tokens: string[]) => tokens.map((token) => token.split('.')[0]);
    const left = async (tokens: string[]) =>
      (await t.db.query(`SELECT id FROM refresh_tokens WHERE id = ANY($1)`, [ids(tokens)])).length;
    expect([await left(gone), await left(ended), await left(live)]).toEqual([0, 2, 2]);
    // The live login's spent token is still known: sent again (past the reuse grace), it is a
    // copy, and the login ends.
    await t.db.query(
      `UPDATE refresh_tokens SET used_at = now() - interval '1 hour' WHERE id = $1`,
      [ids(live)[0]],
    );
    const reused = await refresh(live[0]).expect(401);
    expect(reused.body.error.code).toBe('REFRESH_TOKEN_REUSED');
    // A pruned one is unknown.
    const unknown = await refresh(gone[1]).expect(401);
    expect(unknown.body.error.code).toBe('INVALID_REFRESH_TOKEN');
  });
});
