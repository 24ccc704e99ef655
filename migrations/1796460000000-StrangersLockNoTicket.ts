import { MigrationInterface, QueryRunner } from 'typeorm';

const RESOLVE = 'resolve_ticket(uuid, uuid, text, boolean, text[], text, int)';

// FeeFixedAtResolution's lock, taken whoever called.
const LOCK_ANY = `
        SELECT * INTO t FROM tickets WHERE id = p_ticket FOR UPDATE;
        IF NOT FOUND THEN
          outcome := 'not_found';
          RETURN;
        END IF;`;

// Locked only for an agent with a claim on it (the holder, or one retrying a resolution whose
// answer was lost); anyone else's answer is a refusal, read without the lock.
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
        END IF;`;

/**
 * An agent naming a ticket it has never claimed (another company's, or a colleague's) took the
 * ticket's row lock before being refused, so anyone could make a holder's resolve or messages
 * wait behind requests of their own. The claim by id, heartbeat, release and messages now lock
 * only the tickets the agent may act on (TicketsRepository.lockInCompany, lockIfHeldBy);
 * resolve_ticket, which locks in the database, does the same here.
 *
 * Only the lock statement changes, so the function's stored text is edited in place (the rest
 * is FeeFixedAtResolution's, unchanged); each direction checks it finds the text it replaces.
 */
export class StrangersLockNoTicket1796460000000 implements MigrationInterface {
  name = 'StrangersLockNoTicket1796460000000';

  async up(q: QueryRunner): Promise<void> {
    await replaceInFunction(q, RESOLVE, LOCK_ANY, LOCK_CLAIMANT);
  }

  async down(q: QueryRunner): Promise<void> {
    await replaceInFunction(q, RESOLVE, LOCK_CLAIMANT, LOCK_ANY);
  }
}

async function replaceInFunction(
  q: QueryRunner,
  signature: string,
  from: string,
  to: string,
): Promise<void> {
  const [{ def }]: { def: string }[] = await q.query(
    `SELECT pg_get_functiondef($1::regprocedure) AS def`,
    [signature],
  );
  if (!def.includes(from)) throw new Error(`${signature} does not hold the text to replace`);
  await q.query(def.replace(from, to));
}
