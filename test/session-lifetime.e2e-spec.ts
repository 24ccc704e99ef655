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
  });

  it('prunes tokens expired over 30 days ago; the rest stay', async () => {
    const agent = await registerAgent(t);
    const spent = await refresh(agent.refreshToken).expect(200);
    const old = agent.refreshToken.split('.')[0];
    const recent = spent.body.refreshToken.split('.')[0];
    await t.db.query(
      `UPDATE refresh_tokens SET expires_at = now() - interval '31 days' WHERE id = $1`,
      [old],
    );
    const other = await registerAgent(t);
    const stale = other.refreshToken.split('.')[0];
    await t.db.query(
      `UPDATE refresh_tokens SET expires_at = now() - interval '29 days' WHERE id = $1`,
      [stale],
    );
    expect(await t.app.get(RefreshTokenPruner).prune()).toBeGreaterThanOrEqual(1);
    const left = (
      await t.db.query(`SELECT id FROM refresh_tokens WHERE id = ANY($1)`, [[old, recent, stale]])
    ).map((r: { id: string }) => r.id);
    expect(left.sort()).toEqual([recent, stale].sort());
    // The pruned token sent again is unknown: invalid, and the login goes on.
    const res = await refresh(agent.refreshToken).expect(401);
    expect(res.body.error.code).toBe('INVALID_REFRESH_TOKEN');
    await refresh(spent.body.refreshToken).expect(200);
  });
});
