import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `payout_lines.sending_at`: when the line's latest attempt began (its job's first phase), not
 * counting an attempt that sent nothing (a 429, a renewal put off).
 *
 * A line whose key Stripe has forgotten is sent under a fresh key once a lookup finds no
 * transfer (PayoutLineHandler.renewKey). Another job for the line (finance's retry beside one
 * still backing off) could be sending under the old key at that moment, having read it before
 * it expired: its transfer, not yet made, was missed by the lookup, and the agent was paid
 * twice. The renewal now waits until the latest attempt began longer ago than a send can take.
 * Null for every line written before (no attempt known: nothing waits).
 */
export class PayoutLineSendingAt1796490000000 implements MigrationInterface {
  name = 'PayoutLineSendingAt1796490000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payout_lines ADD COLUMN sending_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payout_lines DROP COLUMN sending_at`);
  }
}
