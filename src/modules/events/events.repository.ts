import { Injectable } from '@nestjs/common';
import type { Client } from 'pg';
import { EntityManager } from 'typeorm';
import { deleteInBatches } from '../../database/sql';

/** A positioned event as readers see it. */
export interface EventRow {
  /** The public id (`position`), bigint as a string. */
  id: string;
  type: string;
  company_id: string | null;
  agent_id: string | null;
  finance: boolean;
  /**
   * The company whose admins see it, not its bot keys (an internal note); `company_id` is null
   * then. Absent on a row positioned by a process of the release before (rolling deploy).
   */
  admins_company_id?: string | null;
  data: Record<string, unknown>;
  occurred_at: Date;
}

/**
 * Whose events a reader may see: exactly one of the three. `bot`: a company's bot key, which
 * reads `company_id` only (its admins `admins_company_id` too).
 */
export type EventScope =
  { companyId: string; bot?: boolean } | { agentId: string } | { finance: true };

// Any constant shared by every sequencer: one of them assigns positions at a time.
const SEQUENCER_LOCK = 7_015_000_001;

const COLUMNS = `position::text AS id, type, company_id, agent_id, finance, admins_company_id,
  data, occurred_at`;

/** Every statement on `events` (and its trigger's function lives in the migration). */
@Injectable()
export class EventsRepository {
  async insert(
    em: EntityManager,
    type: string,
    companyId: string | null,
    agentId: string | null,
    finance: boolean,
    adminsCompanyId: string | null,
    dataJson: string,
  ): Promise<void> {
    await em.query(
      `INSERT INTO events (type, company_id, agent_id, finance, admins_company_id, data)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [type, companyId, agentId, finance, adminsCompanyId, dataJson],
    );
  }

  /**
   * Seconds since the oldest committed event without a position was written (0 when none): how
   * far the sequencer lags. Rows leave ix_events_unpositioned within moments, so this is small.
   */
  async unpositionedAgeSeconds(em: EntityManager): Promise<number> {
    const [row]: { age: number }[] = await em.query(
      `SELECT coalesce(extract(epoch FROM now() - min(occurred_at)), 0)::float8 AS age
         FROM events WHERE position IS NULL`,
    );
    return Math.max(0, row.age);
  }

  /** Takes the sequencer's transaction-scoped lock, or answers false when another holds it. */
  async tryLockSequencer(em: EntityManager): Promise<boolean> {
    const [row]: { ok: boolean }[] = await em.query(`SELECT pg_try_advisory_xact_lock($1) AS ok`, [
      SEQUENCER_LOCK,
    ]);
    return row.ok;
  }

  /**
   * Gives the next positions to up to `limit` rows whose transactions are older than every
   * transaction still running (so no earlier row can still appear), in (tx, seq) order, and
   * returns them. Call holding the sequencer lock: positions are max + 1, 2, … (gap-free).
   */
  async assignPositions(em: EntityManager, limit: number): Promise<EventRow[]> {
    // A WITH … UPDATE is still an UPDATE to TypeORM: it answers [rows, affectedCount].
    const [rows] = (await em.query(
      `WITH base AS (SELECT coalesce(max(position), 0) AS p FROM events),
            todo AS (SELECT seq, row_number() OVER (ORDER BY tx, seq) AS n
                       FROM events
                      WHERE position IS NULL AND tx < pg_snapshot_xmin(pg_current_snapshot())
                      ORDER BY tx, seq LIMIT $1)
       UPDATE events e SET position = base.p + todo.n
         FROM todo, base WHERE e.seq = todo.seq
       RETURNING e.position::text AS id, e.type, e.company_id, e.agent_id, e.finance,
                 e.admins_company_id, e.data, e.occurred_at`,
      [limit],
    )) as [EventRow[], number];
    return rows.sort((a, b) => Number(a.id) - Number(b.id));
  }

  /** Any row waiting for a position (the sequencer's cheap poll). */
  async anyUnpositioned(em: EntityManager): Promise<boolean> {
    const rows: unknown[] = await em.query(`SELECT 1 FROM events WHERE position IS NULL LIMIT 1`);
    return rows.length > 0;
  }

  async maxPosition(em: EntityManager): Promise<number> {
    const [row]: { p: string | null }[] = await em.query(
      `SELECT max(position)::text AS p FROM events`,
    );
    return Number(row.p ?? 0);
  }

  /** Every positioned event in (after, upTo], oldest first: a stream hub filling a gap. */
  range(em: EntityManager, after: number, upTo: number, limit: number): Promise<EventRow[]> {
    return em.query(
      `SELECT ${COLUMNS} FROM events WHERE position > $1 AND position <= $2
        ORDER BY position LIMIT $3`,
      [after, upTo, limit],
    );
  }

  /** A reader's events after `after` (and up to `upTo` when given), oldest first. */
  pageOf(
    em: EntityManager,
    scope: EventScope,
    after: number,
    upTo: number | null,
    types: string[] | null,
    limit: number,
  ): Promise<EventRow[]> {
    const [column, value] =
      'companyId' in scope
        ? ['company_id', scope.companyId]
        : 'agentId' in scope
          ? ['agent_id', scope.agentId]
          : ['finance', true];
    const page = (by: string) =>
      `SELECT ${COLUMNS} FROM events
        WHERE ${by} = $1 AND position > $2 AND ($3::bigint IS NULL OR position <= $3)
          AND ($4::text[] IS NULL OR type = ANY($4::text[]))
        ORDER BY position LIMIT $5`;
    const params = [value, after, upTo, types, limit];
    if (!('companyId' in scope) || scope.bot) return em.query(page(column), params);
    // A company's admins: its events and those for its admins only, each read in order along
    // its own index and merged (an OR would sort every event after `after` for one page).
    return em.query(
      `SELECT * FROM ((${page('company_id')}) UNION ALL (${page('admins_company_id')})) e
        ORDER BY id::bigint LIMIT $5`,
      params,
    );
  }

  /**
   * Deletes events older than the retention; returns how many. Never the one holding the last
   * position: positions are max + 1, and after a quiet spell longer than the retention they
   * would start again from 1 under every stream, hub and client that has seen higher ones.
   * Nor one not positioned yet.
   */
  deleteOlderThan(
    em: EntityManager,
    days: number,
    batch?: number,
    goOn?: () => boolean,
  ): Promise<number> {
    return deleteInBatches(
      em,
      'events',
      'seq',
      `occurred_at < now() - make_interval(hours => 24 * $1)
       AND position < (SELECT max(position) FROM events)`,
      [days],
      batch,
      goOn,
    );
  }

  /** Wakes the sequencers listening on the `events` channel. */
  async notifySequencers(em: EntityManager): Promise<void> {
    await em.query(`SELECT pg_notify('events', '')`);
  }

  /** Subscribes a sequencer's own connection (not the pool's) to the `events` channel. */
  async listen(client: Client): Promise<void> {
    await client.query('LISTEN events');
    // Ticket events come from outbox rows (a trigger): the outbox's NOTIFY wakes us too.
    await client.query('LISTEN outbox');
  }
}
