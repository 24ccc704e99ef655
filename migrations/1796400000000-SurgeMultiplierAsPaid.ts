import { MigrationInterface, QueryRunner } from 'typeorm';
import { SurgeQuoteAfterLock1796110000000 as Previous } from './1796110000000-SurgeQuoteAfterLock';

/**
 * A surge capped by what is left of the shift's budget quotes the multiplier it pays.
 *
 * surge_quote capped the extra at the budget left but kept the multiplier the queue's length
 * earned, so a claim, an offer and the agent's queue said "×1.5: +€0.50" on a rate of €2.00,
 * and the claim stored 15000 beside an extra of 50. The agent decides on what it is shown: the
 * multiplier is now the one the extra makes of the rate, rounded down to a basis point (12500
 * there), so the multiplier no longer promises more than the extra pays.
 */
export class SurgeMultiplierAsPaid1796400000000 implements MigrationInterface {
  name = 'SurgeMultiplierAsPaid1796400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(Previous.surgeQuote(true));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(Previous.surgeQuote(false));
  }
}
