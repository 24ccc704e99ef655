import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The in-process fake Stripe's state (only without STRIPE_SECRET_KEY, never in production): one
 * JSON document, saved after each change, so a restart of `npm start` keeps the Connect accounts
 * agents onboarded, customers, cards, invoices and the balance. It lives with the database it
 * belongs to (each test or bench database has its own, dropped with it).
 */
export class FakeStripeState1796020000000 implements MigrationInterface {
  name = 'FakeStripeState1796020000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE fake_stripe_state (
        id int PRIMARY KEY CONSTRAINT ck_fake_stripe_state_single CHECK (id = 1),
        state jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE fake_stripe_state`);
  }
}
