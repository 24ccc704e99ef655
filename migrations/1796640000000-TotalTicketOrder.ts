import { MigrationInterface, QueryRunner } from 'typeorm';
import { replaceInFunction } from './support/function-text';

const CANDIDATES = 'ticket_candidates(uuid, uuid, text[], text[], integer[], integer)';
const CLAIM_NEXT = 'claim_next_ticket(uuid, interval, integer[], text, text, interval)';

/** The open tickets' match index, its columns ending in `tail`. */
function openMatchIndex(name: string, tail: string): string {
  return `CREATE INDEX ${name} ON tickets
            (company_id, language, primary_skill, rank DESC, sla_deadline, ${tail})
            WHERE status = 'open'`;
}

/**
 * The open tickets' order is total: rank, SLA deadline, arrival, then id. Two escalations of one
 * instant (a bot's batch in one transaction shares its `now()`) were taken in the index's
 * physical order by ticket_candidates and claim-next and in whatever order the router's read
 * gave, so the one listed first to an agent could be offered or claimed second. The match index
 * ends in `id` too, so each bucket's walk still needs no sort.
 */
export class TotalTicketOrder1796640000000 implements MigrationInterface {
  name = 'TotalTicketOrder1796640000000';

  async up(q: QueryRunner): Promise<void> {
    await this.rebuildIndex(q, 'created_at, id');
    await replaceInFunction(q, CANDIDATES, [
      [
        `t.created_at
            LIMIT p_limit) t
         ORDER BY t.rank DESC, t.sla_deadline, t.created_at
`,
        `t.created_at, t.id
            LIMIT p_limit) t
         ORDER BY t.rank DESC, t.sla_deadline, t.created_at, t.id
`,
      ],
    ]);
    await replaceInFunction(q, CLAIM_NEXT, [
      [
        'ORDER BY tk.rank DESC, tk.sla_deadline, tk.created_at\n',
        'ORDER BY tk.rank DESC, tk.sla_deadline, tk.created_at, tk.id\n',
      ],
    ]);
  }

  async down(q: QueryRunner): Promise<void> {
    await replaceInFunction(q, CLAIM_NEXT, [
      [
        'ORDER BY tk.rank DESC, tk.sla_deadline, tk.created_at, tk.id\n',
        'ORDER BY tk.rank DESC, tk.sla_deadline, tk.created_at\n',
      ],
    ]);
    await replaceInFunction(q, CANDIDATES, [
      [
        `t.created_at, t.id
            LIMIT p_limit) t
         ORDER BY t.rank DESC, t.sla_deadline, t.created_at, t.id
`,
        `t.created_at
            LIMIT p_limit) t
         ORDER BY t.rank DESC, t.sla_deadline, t.created_at
`,
      ],
    ]);
    await this.rebuildIndex(q, 'created_at');
  }

  /** Builds the index beside the old one, then takes its name (the old serves until then). */
  private async rebuildIndex(q: QueryRunner, tail: string): Promise<void> {
    await q.query(openMatchIndex('ix_tickets_open_match_next', tail));
    await q.query('DROP INDEX ix_tickets_open_match');
    await q.query('ALTER INDEX ix_tickets_open_match_next RENAME TO ix_tickets_open_match');
  }
}
