import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `payout_lines.key_sent_at`: when the line's current idempotency key was first sent. A line
 * whose key is more than a day old, with no transfer at Stripe under it, is checked again as
 * for a first send (payouts enabled, what is available now, the minimum) under a fresh key;
 * before, it was sent for the amount fixed a day or more earlier, whatever had happened since.
 */
export class PayoutKeySentAt1796360000000 implements MigrationInterface {
  name = 'PayoutKeySentAt1796360000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payout_lines ADD COLUMN key_sent_at timestamptz`);
    // Lines already sent under their key: their last change came no earlier than its first
    // send, so a key this calls a day old is at least that old.
    await q.query(`
      UPDATE payout_lines SET key_sent_at = updated_at
       WHERE transfer_minor IS NOT NULL AND status IN ('pending', 'processing', 'failed')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payout_lines DROP COLUMN key_sent_at`);
  }
}
