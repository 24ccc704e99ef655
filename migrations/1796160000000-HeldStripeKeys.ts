import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A payout line whose transfer call Stripe answered with a server error it saved under the
 * line's idempotency key: Stripe replays that answer for the key's life (24 h), so the line is
 * sent again only once the key has expired (`resend_at`), by a delayed job, and finance's retry
 * waits for the same instant.
 */
export class HeldStripeKeys1796160000000 implements MigrationInterface {
  name = 'HeldStripeKeys1796160000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payout_lines ADD COLUMN resend_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payout_lines DROP COLUMN resend_at`);
  }
}
