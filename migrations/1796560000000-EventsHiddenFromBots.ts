import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An event the company's people read but its bot keys do not: `ticket.note`, an agent's
 * internal note. A company's events went to its admins and its bots alike, and a bot relays
 * what it hears to the customer, so notes were not sent live at all (the console read them on
 * its next re-read). A constant default: no table rewrite.
 */
export class EventsHiddenFromBots1796560000000 implements MigrationInterface {
  name = 'EventsHiddenFromBots1796560000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE events ADD COLUMN hidden_from_bots boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE events DROP COLUMN hidden_from_bots`);
  }
}
