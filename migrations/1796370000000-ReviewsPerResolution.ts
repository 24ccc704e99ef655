import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A company's review is of one resolution (a claim), not of the ticket: one per ticket let a
 * review of the first agent's resolution be changed, after a reopen, into a verdict on the
 * second agent's, moving the first agent's score, and left the second resolution unreviewable.
 */
export class ReviewsPerResolution1796370000000 implements MigrationInterface {
  name = 'ReviewsPerResolution1796370000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE ticket_reviews
        DROP CONSTRAINT uq_ticket_reviews_ticket,
        ADD CONSTRAINT uq_ticket_reviews_claim UNIQUE (claim_id)`);
    await q.query(
      `CREATE INDEX ix_ticket_reviews_ticket ON ticket_reviews (ticket_id, created_at)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_ticket_reviews_ticket`);
    // Fails while a ticket has reviews of two resolutions (as it should: down would lose one).
    await q.query(`
      ALTER TABLE ticket_reviews
        DROP CONSTRAINT uq_ticket_reviews_claim,
        ADD CONSTRAINT uq_ticket_reviews_ticket UNIQUE (ticket_id)`);
  }
}
