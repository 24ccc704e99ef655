import type { SignedIn } from './factories';
import { waitForLockWaiters, withRowsHeld } from './row-locks';
import type { TestApp } from './test-app';

const SIGNATURE = 'uuid, uuid, text[], text[], int[], int';
const GATE = 424_242;

/**
 * Runs `meanwhile` while one of the agent's calls of ticket_candidates waits, its candidates
 * read, on an advisory lock the test holds: what the caller then does with them (claim-next's
 * pick, the router's lock of a ticket) comes after `meanwhile`. `start` makes the call; the
 * function is wrapped in the test's own database and put back afterwards. Only calls in a
 * transaction that already wrote or locked a row wait (claim-next's, the router's pass for one
 * agent, which hold the agent's row), not plain reads such as the router's look at which
 * agents could take something. Returns what `start` returned, to be awaited after.
 */
export async function withCandidatesHeld<T>(
  t: TestApp,
  agentId: string,
  start: () => T,
  meanwhile: () => Promise<unknown>,
): Promise<{ started: T }> {
  await t.db.query(
    `ALTER FUNCTION ticket_candidates(${SIGNATURE}) RENAME TO ticket_candidates_ungated`,
  );
  await t.db.query(
    `CREATE FUNCTION ticket_candidates(p_company uuid, p_agent uuid, p_languages text[],
                                       p_skills text[], p_levels int[], p_limit int)
     RETURNS SETOF uuid LANGUAGE plpgsql VOLATILE AS $$
     BEGIN
       RETURN QUERY SELECT * FROM ticket_candidates_ungated(p_company, p_agent, p_languages,
                                                           p_skills, p_levels, p_limit);
       IF p_agent = '${agentId}' AND txid_current_if_assigned() IS NOT NULL THEN
         PERFORM pg_advisory_xact_lock(${GATE});
       END IF;
     END $$`,
  );
  try {
    return await withRowsHeld(t, `SELECT pg_advisory_xact_lock(${GATE})`, [], async () => {
      const started = start();
      await waitForLockWaiters(t, 1, 'a call of ticket_candidates to wait at the gate');
      await meanwhile();
      return { started }; // the gate opens as this returns
    });
  } finally {
    await t.db.query(`DROP FUNCTION ticket_candidates(${SIGNATURE})`);
    await t.db.query(
      `ALTER FUNCTION ticket_candidates_ungated(${SIGNATURE}) RENAME TO ticket_candidates`,
    );
  }
}

/** `agent` claims the ticket by id and transfers it to a level of refunds nobody else has. */
export async function claimAndTransferAway(
  t: TestApp,
  agent: SignedIn,
  ticketId: string,
): Promise<void> {
  await t.http.post(`/v1/tickets/${ticketId}/claim`).set(agent.auth).expect(200);
  await t.http
    .post(`/v1/tickets/${ticketId}/transfer`)
    .set(agent.auth)
    .send({ requiredSkills: [{ skill: 'refunds', minLevel: 5 }], note: 'for a specialist' })
    .expect(200);
}
