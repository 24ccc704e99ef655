import { MigrationInterface, QueryRunner } from 'typeorm';
import { replaceInFunction } from './support/function-text';

const RESOLVE = 'resolve_ticket(uuid, uuid, text, boolean, text[], text, int)';

// FeeFixedAtResolution's text where it changes: its declarations, its lock (taken whoever
// called), and its test of the caller's claim.
const DECLARED = `
        ev jsonb;
      BEGIN`;
const DECLARED_HELD = `
        ev jsonb;
        held boolean := true;
      BEGIN`;
const LOCK_ANY = `
        SELECT * INTO t FROM tickets WHERE id = p_ticket FOR UPDATE;
        IF NOT FOUND THEN
          outcome := 'not_found';
          RETURN;
        END IF;`;
// Locked only for an agent with a claim on it (the holder, or one retrying a resolution whose
// answer was lost); anyone else's answer is a refusal, read without the lock, and stays one
// even if the agent's claim commits meanwhile: it never reaches the writes unlocked.
const LOCK_CLAIMANT = `
        SELECT * INTO t FROM tickets WHERE id = p_ticket
           AND EXISTS (SELECT 1 FROM ticket_claims
                        WHERE ticket_id = p_ticket AND agent_id = p_agent)
           FOR UPDATE;
        IF NOT FOUND THEN
          SELECT * INTO t FROM tickets WHERE id = p_ticket;
          IF NOT FOUND THEN
            outcome := 'not_found';
            RETURN;
          END IF;
          held := false;
        END IF;`;
const HOLDER_TEST = `
        IF NOT FOUND OR c.agent_id <> p_agent THEN`;
const HELD_HOLDER_TEST = `
        IF NOT FOUND OR c.agent_id <> p_agent OR NOT held THEN`;

const CHANGES: [string, string][] = [
  [DECLARED, DECLARED_HELD],
  [LOCK_ANY, LOCK_CLAIMANT],
  [HOLDER_TEST, HELD_HOLDER_TEST],
];

/**
 * An agent naming a ticket it has never claimed (another company's, or a colleague's) took the
 * ticket's row lock before being refused, so anyone could make a holder's resolve or messages
 * wait behind requests of their own. The claim by id, heartbeat, release and messages now lock
 * only the tickets the agent may act on (TicketsRepository.lockInCompany, lockIfHeldBy);
 * resolve_ticket, which locks in the database, does the same here.
 *
 * Only the lock and the test of the caller's claim change, so the function's stored text is
 * edited in place (the rest is FeeFixedAtResolution's, unchanged); each direction checks it
 * finds, once, each text it replaces.
 */
export class StrangersLockNoTicket1796460000000 implements MigrationInterface {
  name = 'StrangersLockNoTicket1796460000000';

  async up(q: QueryRunner): Promise<void> {
    await replaceInFunction(q, RESOLVE, CHANGES);
  }

  async down(q: QueryRunner): Promise<void> {
    await replaceInFunction(
      q,
      RESOLVE,
      CHANGES.map(([from, to]) => [to, from]),
    );
  }
}
