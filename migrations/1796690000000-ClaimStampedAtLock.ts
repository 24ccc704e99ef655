import { MigrationInterface, QueryRunner } from 'typeorm';
import { Surge1796050000000 as Surge } from './1796050000000-Surge';

/**
 * A claim is stamped (its claimed_at, the ticket's claimed_at and last_activity_at) with the
 * clock once the ticket is locked, not with now(), the start of the transaction or statement.
 * A claim that began before the ticket's SLA deadline and waited on a lock past it (the agent's,
 * the ticket's) was stamped before the deadline: the SLA timer, waiting behind it, then read a
 * claim "made in time" and the ticket, open past its deadline, was never breached (no
 * ticket.sla_breached webhook). The same function otherwise; its signature is unchanged, so
 * claim_next_ticket, which calls it, needs nothing.
 */
export class ClaimStampedAtLock1796690000000 implements MigrationInterface {
  name = 'ClaimStampedAtLock1796690000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP FUNCTION write_ticket_claim(uuid, uuid, uuid, interval, text, int, bigint, text)`,
    );
    await q.query(Surge.writeTicketClaim(true, true));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP FUNCTION write_ticket_claim(uuid, uuid, uuid, interval, text, int, bigint, text)`,
    );
    await q.query(Surge.writeTicketClaim(true));
  }
}
