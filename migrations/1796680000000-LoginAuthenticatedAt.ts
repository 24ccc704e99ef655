import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a login last proved its password (the sign-in, or a later reauthentication): routes that
 * hand out lasting access (an API key, a webhook's address or secret, a payout account's
 * onboarding) want it recent (RECENT_SIGN_IN_MINUTES), so a stolen access token or refresh
 * cookie alone cannot take them once that long has passed. Each token of a login carries it on,
 * as it does login_at.
 *
 * A constant default: no row is rewritten and the table is locked only for the catalogue change
 * (as RefreshTokenLogins). The epoch means "never proved lately": logins existing now, and the
 * tokens processes of the release before insert during a rolling deploy, give the password again
 * before such a step. Not now(): a rotation by the old code would then pass for a fresh proof.
 */
export class LoginAuthenticatedAt1796680000000 implements MigrationInterface {
  name = 'LoginAuthenticatedAt1796680000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE refresh_tokens
         ADD COLUMN authenticated_at timestamptz NOT NULL DEFAULT 'epoch'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refresh_tokens DROP COLUMN authenticated_at`);
  }
}
