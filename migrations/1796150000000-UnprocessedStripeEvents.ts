import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stripe events not applied yet, read at every metrics scrape (their count and the oldest one's
 * age) and by `npm run cli -- stripe:replay`: a small partial index, since nearly every event
 * is applied within seconds.
 */
export class UnprocessedStripeEvents1796150000000 implements MigrationInterface {
  name = 'UnprocessedStripeEvents1796150000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX ix_stripe_events_unprocessed ON stripe_events (received_at)
       WHERE processed_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_stripe_events_unprocessed`);
  }
}
