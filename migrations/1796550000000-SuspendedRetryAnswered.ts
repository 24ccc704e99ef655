import { MigrationInterface, QueryRunner } from 'typeorm';
import { replaceInFunction } from './support/function-text';

const RESOLVE = 'resolve_ticket(uuid, uuid, text, boolean, text[], text, int)';

const SUSPENDED = `
        IF EXISTS (SELECT 1 FROM agents WHERE user_id = p_agent AND suspended_at IS NOT NULL) THEN`;
// Not when the agent's own resolution with this summary stands: the request is a retry of one
// whose answer was lost, and is answered as the first was (the holder test below finds no
// active claim and hands back the standing resolution).
const SUSPENDED_UNLESS_RETRY = `
        IF EXISTS (SELECT 1 FROM agents WHERE user_id = p_agent AND suspended_at IS NOT NULL)
           AND NOT EXISTS (SELECT 1 FROM ticket_claims r
                            WHERE r.ticket_id = p_ticket AND r.agent_id = p_agent
                              AND r.status = 'resolved' AND r.reopened_at IS NULL
                              AND r.resolution_summary = p_summary) THEN`;

/**
 * An agent that resolved a ticket, lost the answer and was suspended before retrying was told
 * AGENT_SUSPENDED, though its resolution (and pay) stood: the retry contract ("the same summary
 * again answers the same ticket") held for everyone else. resolve_ticket now skips the
 * suspension check for that retry; any other resolve by a suspended agent is refused as before.
 */
export class SuspendedRetryAnswered1796550000000 implements MigrationInterface {
  name = 'SuspendedRetryAnswered1796550000000';

  async up(q: QueryRunner): Promise<void> {
    await replaceInFunction(q, RESOLVE, [[SUSPENDED, SUSPENDED_UNLESS_RETRY]]);
  }

  async down(q: QueryRunner): Promise<void> {
    await replaceInFunction(q, RESOLVE, [[SUSPENDED_UNLESS_RETRY, SUSPENDED]]);
  }
}
