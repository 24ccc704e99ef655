import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `refresh_tokens.login_at`: when the token's login (its family) began, on every token of it.
 *
 * Each rotation gave the successor a fresh REFRESH_TOKEN_TTL_DAYS, so a login refreshed at least
 * that often lived for ever: a stolen chain kept in use was never cut off, and its rows (one
 * per refresh, about a hundred a day for an open console) were never deleted. A login now ends
 * REFRESH_SESSION_MAX_DAYS after it began, however it was refreshed, and its tokens are pruned
 * a while after (ix_refresh_tokens_login, migration RetentionIndexes).
 *
 * A constant default (now() is stable): no row is rewritten and the table is locked only for the
 * catalogue change. Logins existing now count from this migration, so none ends because of it;
 * processes of the release before, during a rolling deploy, insert tokens that start anew.
 */
export class RefreshTokenLogins1796510000000 implements MigrationInterface {
  name = 'RefreshTokenLogins1796510000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE refresh_tokens ADD COLUMN login_at timestamptz NOT NULL DEFAULT now()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refresh_tokens DROP COLUMN login_at`);
  }
}
