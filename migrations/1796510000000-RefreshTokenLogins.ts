import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `refresh_tokens.login_at`: when the token's login (its family) began, on every token of it.
 *
 * Each rotation gave the successor a fresh REFRESH_TOKEN_TTL_DAYS, so a login refreshed at least
 * that often lived for ever: a stolen chain kept in use was never cut off, and its rows (one
 * per refresh, about a hundred a day for an open console) were never deleted. A login now ends
 * REFRESH_SESSION_MAX_DAYS after it began, however it was refreshed, and tokens long expired
 * are pruned (the expiry index). Existing logins count from their first token still stored.
 */
export class RefreshTokenLogins1796510000000 implements MigrationInterface {
  name = 'RefreshTokenLogins1796510000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refresh_tokens ADD COLUMN login_at timestamptz`);
    await q.query(`
      UPDATE refresh_tokens t SET login_at = f.first
        FROM (SELECT family_id, min(created_at) AS first FROM refresh_tokens GROUP BY family_id) f
       WHERE f.family_id = t.family_id`);
    // The default serves processes of the release before, during a rolling deploy: a token
    // they insert starts its login anew (it lasts longer, as before), rather than failing.
    await q.query(
      `ALTER TABLE refresh_tokens ALTER COLUMN login_at SET DEFAULT now(),
                                  ALTER COLUMN login_at SET NOT NULL`,
    );
    await q.query(`CREATE INDEX ix_refresh_tokens_expires ON refresh_tokens (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_refresh_tokens_expires`);
    await q.query(`ALTER TABLE refresh_tokens DROP COLUMN login_at`);
  }
}
