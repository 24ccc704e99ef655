import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a login last proved its password (the sign-in, or a later reauthentication): routes that
 * hand out lasting access (an API key, a webhook's address or secret, a payout account's
 * onboarding) want it recent (RECENT_SIGN_IN_MINUTES), so a stolen access token or refresh
 * cookie alone cannot take them. Each token of a login carries it on, as it does login_at;
 * existing logins proved theirs when they began.
 */
export class LoginAuthenticatedAt1796680000000 implements MigrationInterface {
  name = 'LoginAuthenticatedAt1796680000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refresh_tokens ADD COLUMN authenticated_at timestamptz`);
    await q.query(`UPDATE refresh_tokens SET authenticated_at = login_at`);
    await q.query(`ALTER TABLE refresh_tokens ALTER COLUMN authenticated_at SET NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refresh_tokens DROP COLUMN authenticated_at`);
  }
}
