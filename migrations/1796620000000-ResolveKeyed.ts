import { MigrationInterface, QueryRunner } from 'typeorm';
import { replaceInFunction } from './support/function-text';

const BEFORE = 'resolve_ticket(uuid, uuid, text, boolean, text[], text, int)';
const AFTER = 'resolve_ticket(uuid, uuid, text, boolean, text[], text, int, text, interval)';

const PARAMS: [string, string] = [
  'p_fee_bps integer, OUT outcome text',
  'p_fee_bps integer, p_request_key text DEFAULT NULL::text, ' +
    'p_key_ttl interval DEFAULT NULL::interval, OUT outcome text',
];
const SUSPENSION_CHECK = `
        IF EXISTS (SELECT 1 FROM agents WHERE user_id = p_agent AND suspended_at IS NOT NULL)`;
const ASKED_BEFORE: [string, string] = [
  SUSPENSION_CHECK,
  `
        -- This request (its key) resolved the ticket already, and that resolution was reopened
        -- since: the work is done and paid, whatever came after (a claim of it again).
        IF p_request_key IS NOT NULL AND EXISTS (
             SELECT 1 FROM ticket_claims r
              WHERE r.ticket_id = p_ticket AND r.agent_id = p_agent AND r.status = 'resolved'
                AND r.reopened_at IS NOT NULL AND r.resolve_key = p_request_key
                AND r.resolved_at > now() - p_key_ttl) THEN
          outcome := 'resolved_before';
          RETURN;
        END IF;${SUSPENSION_CHECK}`,
];
const KEPT: [string, string] = [
  "SET status = 'resolved', resolved_at = now(), resolution_summary = p_summary,",
  "SET status = 'resolved', resolved_at = now(), resolution_summary = p_summary,\n" +
    '               resolve_key = p_request_key,',
];

const undo = (changes: [string, string][]) =>
  changes.map(([from, to]) => [to, from] as [string, string]);

/**
 * A resolve keeps the Idempotency-Key it was sent with on the resolution, and a resolve with a
 * key whose resolution was reopened since answers `resolved_before` (the API: ANSWER_LOST).
 *
 * resolve_ticket is one statement, which the idempotency layer cannot follow: a lost answer was
 * a 503 that freed the key. Its retry is answered from the resolution while it stands (the same
 * summary: the same answer). But if the company reopened the ticket and the same agent claimed
 * it again before the retry came, the retry resolved the new claim with the old summary: the
 * company's reopen undone with no new work, and the ticket billed (and the agent paid) again
 * for it. Now the retry finds its own resolution by its key, within the key's lifetime
 * (`p_key_ttl`), and writes nothing. Without a reopen, the answer is as
 * before. Both new parameters default to NULL: a process of the release before still
 * resolves (unkeyed), and the six-parameter wrapper (FeeFixedAtResolution) still calls it.
 */
export class ResolveKeyed1796620000000 implements MigrationInterface {
  name = 'ResolveKeyed1796620000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ticket_claims ADD COLUMN resolve_key text`);
    // CREATE OR REPLACE with more parameters makes a second function: the old one goes.
    await replaceInFunction(q, BEFORE, [PARAMS, ASKED_BEFORE, KEPT]);
    await q.query(`DROP FUNCTION ${BEFORE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await replaceInFunction(q, AFTER, undo([PARAMS, ASKED_BEFORE, KEPT]));
    await q.query(`DROP FUNCTION ${AFTER}`);
    await q.query(`ALTER TABLE ticket_claims DROP COLUMN resolve_key`);
  }
}
