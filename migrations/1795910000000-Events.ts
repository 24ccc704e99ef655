import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The events store (issue 15). A row is written in the transaction that changes state, with its
 * writer's transaction id (`tx`) and no public id: ids taken at INSERT (a sequence) follow start
 * order, not commit order, so a reader paging `after=<id>` could skip a row whose transaction
 * took a smaller id but committed later. The sequencer (EventSequencer, one process at a time)
 * gives `position` — the public, gap-free, monotonic id — to rows whose transaction is older
 * than every transaction still running (`tx < pg_snapshot_xmin(pg_current_snapshot())`), in
 * (tx, seq) order; readers see only positioned rows. Writers take no shared lock.
 *
 * The five ticket events already are outbox rows, some written by SQL (write_ticket_claim):
 * a trigger owned by the events module copies them here in the same transaction.
 */
export class Events1795910000000 implements MigrationInterface {
  name = 'Events1795910000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE events (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        tx xid8 NOT NULL DEFAULT pg_current_xact_id(),
        position bigint,
        type text NOT NULL,
        company_id uuid,
        agent_id uuid,
        finance boolean NOT NULL DEFAULT false,
        data jsonb NOT NULL,
        occurred_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_events PRIMARY KEY (seq),
        CONSTRAINT uq_events_position UNIQUE (position),
        CONSTRAINT ck_events_type CHECK (type ~ '^[a-z][a-z_]*(\\.[a-z][a-z_]*)+$'),
        CONSTRAINT ck_events_audience
          CHECK (company_id IS NOT NULL OR agent_id IS NOT NULL OR finance)
      )`);
    // The sequencer's work list: small, since rows leave it within moments.
    await q.query(`CREATE INDEX ix_events_unpositioned ON events (tx, seq) WHERE position IS NULL`);
    await q.query(
      `CREATE INDEX ix_events_company ON events (company_id, position) WHERE position IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX ix_events_agent ON events (agent_id, position) WHERE position IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX ix_events_finance ON events (position) WHERE finance AND position IS NOT NULL`,
    );
    await q.query(`CREATE INDEX ix_events_occurred_at ON events (occurred_at)`);
    await q.query(`
      CREATE FUNCTION events_from_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO events (type, company_id, agent_id, data, occurred_at)
        VALUES (NEW.job_name, (NEW.payload->>'companyId')::uuid,
                (NEW.payload->>'agentId')::uuid, NEW.payload,
                coalesce((NEW.payload->>'occurredAt')::timestamptz, now()));
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER tr_outbox_ticket_events AFTER INSERT ON outbox
        FOR EACH ROW
        WHEN (NEW.job_name IN ('ticket.claimed', 'ticket.released', 'ticket.resolved',
                               'ticket.reopened', 'ticket.sla_breached'))
        EXECUTE FUNCTION events_from_outbox()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER tr_outbox_ticket_events ON outbox`);
    await q.query(`DROP FUNCTION events_from_outbox()`);
    await q.query(`DROP TABLE events`);
  }
}
