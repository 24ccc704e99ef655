import { MigrationInterface, QueryRunner } from 'typeorm';
import { replaceInFunction } from './support/function-text';

const CANDIDATES = 'ticket_candidates(uuid, uuid, text[], text[], integer[], integer)';
const CLAIM_NEXT = 'claim_next_ticket(uuid, interval, integer[], text, text, interval)';

const INNER_AND_OUTER_ORDER = (tail: string) => `t.created_at${tail}
            LIMIT p_limit) t
         ORDER BY t.rank DESC, t.sla_deadline, t.created_at${tail}
`;
const CLAIM_NEXT_ORDER = (tail: string) =>
  `ORDER BY tk.rank DESC, tk.sla_deadline, tk.created_at${tail}\n`;

/**
 * The open tickets' order is total: rank, SLA deadline, arrival, then id. Two escalations of one
 * instant (a bot's batch in one transaction shares its `now()`) were taken in the index's
 * physical order by ticket_candidates and claim-next and in whatever order the router's read
 * gave, so the one listed first to an agent could be offered or claimed second. The match index
 * ends in `id` too (OpenMatchIndexById), so each bucket's walk still needs no sort.
 */
export class TotalTicketOrder1796640000000 implements MigrationInterface {
  name = 'TotalTicketOrder1796640000000';

  async up(q: QueryRunner): Promise<void> {
    await replaceInFunction(q, CANDIDATES, [
      [INNER_AND_OUTER_ORDER(''), INNER_AND_OUTER_ORDER(', t.id')],
    ]);
    await replaceInFunction(q, CLAIM_NEXT, [[CLAIM_NEXT_ORDER(''), CLAIM_NEXT_ORDER(', tk.id')]]);
  }

  async down(q: QueryRunner): Promise<void> {
    await replaceInFunction(q, CLAIM_NEXT, [[CLAIM_NEXT_ORDER(', tk.id'), CLAIM_NEXT_ORDER('')]]);
    await replaceInFunction(q, CANDIDATES, [
      [INNER_AND_OUTER_ORDER(', t.id'), INNER_AND_OUTER_ORDER('')],
    ]);
  }
}
