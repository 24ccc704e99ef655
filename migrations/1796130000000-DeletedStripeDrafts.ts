import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A Stripe draft of one of our invoices deleted in Stripe's dashboard: our row forgets it and
 * counts it, and issuing again creates the next draft under keys that carry the count (the
 * first keys would have Stripe hand back the deleted draft for 24 hours).
 */
export class DeletedStripeDrafts1796130000000 implements MigrationInterface {
  name = 'DeletedStripeDrafts1796130000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE invoices ADD COLUMN stripe_drafts_deleted int NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE invoices DROP COLUMN stripe_drafts_deleted`);
  }
}
