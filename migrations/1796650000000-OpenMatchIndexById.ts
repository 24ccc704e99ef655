import { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexesConcurrently } from './support/concurrent-indexes';

const NAME = 'ix_tickets_open_match';
const COLUMNS = 'company_id, language, primary_skill, rank DESC, sla_deadline, created_at';

/** The open tickets' match index over COLUMNS and `tail`, under `name`. */
const definition = (tail: string) => `tickets (${COLUMNS}${tail}) WHERE status = 'open'`;

/**
 * ix_tickets_open_match ends in `id`, the open tickets' order's last key (TotalTicketOrder), so
 * each bucket's walk of ticket_candidates still needs no sort. Built CONCURRENTLY beside the old
 * one, which then goes, and the new one takes its name: every escalation, claim and message
 * writes `tickets`, and a plain build would stop them all while it read the whole table. Run
 * again after a failure part way, it finishes the same way.
 */
export class OpenMatchIndexById1796650000000 implements MigrationInterface {
  name = 'OpenMatchIndexById1796650000000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await createIndexesConcurrently(q, [[`${NAME}_next`, definition(', id')]]);
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS ${NAME}`);
    await q.query(`ALTER INDEX ${NAME}_next RENAME TO ${NAME}`);
  }

  /** Not CONCURRENTLY: TypeORM reverts in a transaction whatever `transaction` says. */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX ${NAME}_prev ON ${definition('')}`);
    await q.query(`DROP INDEX ${NAME}`);
    await q.query(`ALTER INDEX ${NAME}_prev RENAME TO ${NAME}`);
  }
}
