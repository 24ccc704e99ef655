import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Events for a company's admins but not its bot keys: `ticket.note`, an agent's internal note.
 * A company's events (`company_id`) went to its admins and its bots alike, and a bot relays what
 * it hears to the customer, so notes were not sent live at all (the console read them on its
 * next re-read).
 *
 * Their own column, not a flag beside `company_id`: a process of the release before, still
 * running in a rolling deploy (or after a rollback), reads a company's events by `company_id`
 * only and positions rows without knowing the new column, so it can never hand a note to a bot;
 * the worst it does is leave a note out of an admin's live stream (read on the next re-read).
 * Notes also name their agent (`agent_id`), which the audience check needs.
 *
 * A nullable column without a default: a change to the catalog only, its lock held for moments
 * (the index comes in the next migration, built concurrently).
 */
export class EventsForCompanyAdmins1796560000000 implements MigrationInterface {
  name = 'EventsForCompanyAdmins1796560000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE events ADD COLUMN admins_company_id uuid`);
  }

  async down(q: QueryRunner): Promise<void> {
    // The notes stay, for their agents only (agent_id): no reader left could tell them apart.
    await q.query(`ALTER TABLE events DROP COLUMN admins_company_id`);
  }
}
