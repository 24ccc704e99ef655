import { MigrationInterface, QueryRunner } from 'typeorm';
import { ClaimNextPassesOffers1796270000000 as Previous } from './1796270000000-ClaimNextPassesOffers';

/**
 * claim_next_ticket's pick checks the ticket's required skills against the agent's again.
 *
 * ticket_candidates reads the open tickets the agent can take in one statement, and the pick
 * (`FOR UPDATE SKIP LOCKED`) is the next. A ticket another agent claimed and transferred to
 * skills this agent lacks in between is open again when the pick looks, so the pick's
 * `status = 'open'` let it through to an agent without them. The pick now also requires the
 * skills, on the row it locks (a fresh statement's snapshot, and PostgreSQL checks the
 * condition again on the newest version of a row updated meanwhile). Nothing else of a ticket
 * that decides a match changes while it is open: its company and language never do, and a
 * cooldown for this agent is written by a release of a ticket this agent held, which the
 * candidates could not have seen open.
 */
export class ClaimNextRechecksSkills1796390000000 implements MigrationInterface {
  name = 'ClaimNextRechecksSkills1796390000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(Previous.claimNext(true, true));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(Previous.claimNext(true));
  }
}
