import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { changedRows, cursorInstant, KeyedRow } from '../../database/sql';
import { TicketSort } from './ticket.dto';
import { TicketRow } from './ticket.rows';

/** A resolved ticket read for a reopen, with whether it is still inside the reopen window. */
export interface ReopenableTicketRow extends TicketRow {
  within: boolean;
  /** Its claim deadline has passed (database clock). */
  due: boolean;
}

/** A ticket read by its SLA check, with whether its deadline has passed (database clock). */
export interface SlaDueTicketRow extends TicketRow {
  due: boolean;
}

/** A ticket read by the handle timeout, with when (and whether) its claim has gone idle. */
export interface IdleTicketRow extends TicketRow {
  idle_until: Date;
  idle: boolean;
}

export interface TicketListFilter {
  companyId: string;
  status: string | null;
  /** priorityToRank of the priority asked for. */
  priority: number | null;
  from: string | null;
  to: string | null;
  /** The order; `sla_deadline` is for open tickets (the service checks it). */
  sort: TicketSort;
  /** The keyset cursor: the sort instant and id of the last row of the previous page. */
  afterAt: string | null;
  afterId: string | null;
  limit: number;
}

/**
 * The keyset of each order; constants only go into the SQL. The open tickets' order walks the
 * company's part of ix_tickets_open_match and sorts it: a waiting queue is small next to the
 * company's history, and no further index on every intake is worth it.
 */
const LIST_ORDERS: Record<TicketSort, { key: string; after: '<' | '>'; dir: 'ASC' | 'DESC' }> = {
  newest: { key: 'created_at', after: '<', dir: 'DESC' },
  sla_deadline: { key: 'sla_deadline', after: '>', dir: 'ASC' },
};

/** The `tickets` and `ticket_cooldowns` tables (intake's inserts: TicketIntakeRepository). */
@Injectable()
export class TicketsRepository {
  /** A ticket; `companyId` scopes it (null: no scope, internal use). */
  async findScoped(
    em: EntityManager,
    id: string,
    companyId: string | null,
  ): Promise<TicketRow | undefined> {
    const [row]: TicketRow[] = await em.query(
      'SELECT * FROM tickets WHERE id = $1 AND ($2::uuid IS NULL OR company_id = $2)',
      [id, companyId],
    );
    return row;
  }

  /**
   * Share-locks the ticket until the caller's transaction ends: a withdrawal (FOR UPDATE) either
   * committed before, and what is read next sees it, or waits for the caller.
   */
  async lockForShare(em: EntityManager, id: string): Promise<void> {
    await em.query('SELECT 1 FROM tickets WHERE id = $1 FOR SHARE', [id]);
  }

  findByIds(em: EntityManager, ids: string[]): Promise<TicketRow[]> {
    return em.query('SELECT * FROM tickets WHERE id = ANY($1)', [ids]);
  }

  /** A company's tickets in the order asked for, one keyset page (`limit` rows). */
  pageOfCompany(em: EntityManager, f: TicketListFilter): Promise<KeyedRow<TicketRow>[]> {
    const { key, after, dir } = LIST_ORDERS[f.sort];
    return em.query(
      `SELECT *, ${cursorInstant(key)} FROM tickets
        WHERE company_id = $1
          AND ($2::text IS NULL OR status = $2)
          AND ($3::smallint IS NULL OR priority = $3)
          AND ($4::timestamptz IS NULL OR created_at >= $4)
          AND ($5::timestamptz IS NULL OR created_at < $5)
          AND ($6::timestamptz IS NULL OR (${key}, id) ${after} ($6::timestamptz, $7::uuid))
        ORDER BY ${key} ${dir}, id ${dir} LIMIT $8`,
      [f.companyId, f.status, f.priority, f.from, f.to, f.afterAt, f.afterId, f.limit],
    );
  }

  externalIds(em: EntityManager, ids: string[]): Promise<Pick<TicketRow, 'id' | 'external_id'>[]> {
    return em.query('SELECT id, external_id FROM tickets WHERE id = ANY($1)', [ids]);
  }

  async lockForUpdate(em: EntityManager, id: string): Promise<TicketRow | undefined> {
    const [row]: TicketRow[] = await em.query('SELECT * FROM tickets WHERE id = $1 FOR UPDATE', [
      id,
    ]);
    return row;
  }

  /**
   * The ticket, locked only if it is of `companyId` (the company the claiming agent works for
   * now; null: none), else read without a lock for the refusal. An agent naming another
   * company's ticket never holds that company's work up behind its lock.
   */
  async lockInCompany(
    em: EntityManager,
    id: string,
    companyId: string | null,
  ): Promise<TicketRow | undefined> {
    if (companyId) {
      const [row]: TicketRow[] = await em.query(
        'SELECT * FROM tickets WHERE id = $1 AND company_id = $2 FOR UPDATE',
        [id, companyId],
      );
      if (row) return row;
    }
    return this.findScoped(em, id, null);
  }

  /**
   * The ticket, locked only if `agentId` holds its active claim (`held`), else read without a
   * lock for the refusal: naming a colleague's ticket never makes the holder's work wait. The
   * caller re-reads the claim after the lock (it may have been released meanwhile); an unheld
   * answer is final, even if the agent claims the ticket a moment later.
   */
  async lockIfHeldBy(
    em: EntityManager,
    id: string,
    agentId: string,
  ): Promise<{ ticket: TicketRow | undefined; held: boolean }> {
    const [row]: TicketRow[] = await em.query(
      `SELECT t.* FROM tickets t
        WHERE t.id = $1
          AND EXISTS (SELECT 1 FROM ticket_claims c
                       WHERE c.ticket_id = t.id AND c.agent_id = $2 AND c.status = 'active')
          FOR UPDATE OF t`,
      [id, agentId],
    );
    if (row) return { ticket: row, held: true };
    return { ticket: await this.findScoped(em, id, null), held: false };
  }

  async lockForReopen(
    em: EntityManager,
    id: string,
    companyId: string,
    windowHours: number,
  ): Promise<ReopenableTicketRow | undefined> {
    // NO KEY UPDATE, not UPDATE: a ledger job booking this ticket's earning holds the claim's
    // lock and inserts rows referencing the ticket (a key-share lock); FOR UPDATE would
    // deadlock with it, while this still serialises every change of the ticket.
    const [row]: ReopenableTicketRow[] = await em.query(
      `SELECT *, resolved_at > now() - make_interval(secs => $3::float8 * 3600) AS within,
              sla_deadline <= now() AS due
         FROM tickets WHERE id = $1 AND company_id = $2 FOR NO KEY UPDATE`,
      [id, companyId, windowHours],
    );
    return row;
  }

  async lockForSlaCheck(em: EntityManager, id: string): Promise<SlaDueTicketRow | undefined> {
    const [row]: TicketRow[] = await em.query('SELECT * FROM tickets WHERE id = $1 FOR UPDATE', [
      id,
    ]);
    // Due by the clock once the ticket is locked, not at the statement's start: a timer fired
    // a moment early that waited behind a claim across the deadline found it not due, and a
    // claimed ticket is not checked again.
    return row && { ...row, due: await this.deadlinePassed(em, id) };
  }

  async lockForHandleTimeout(
    em: EntityManager,
    id: string,
    timeoutMinutes: number,
  ): Promise<IdleTicketRow> {
    const [row]: IdleTicketRow[] = await em.query(
      `SELECT *, last_activity_at + make_interval(mins => $2) AS idle_until,
              last_activity_at + make_interval(mins => $2) <= now() AS idle
         FROM tickets WHERE id = $1 FOR UPDATE`,
      [id, timeoutMinutes],
    );
    return row;
  }

  /** "Still working on it": the handle timeout counts from now. */
  async touch(em: EntityManager, id: string): Promise<void> {
    await em.query('UPDATE tickets SET last_activity_at = now() WHERE id = $1', [id]);
  }

  async markResolved(em: EntityManager, id: string): Promise<void> {
    await em.query(
      `UPDATE tickets SET status = 'resolved', claimed_by = NULL, resolved_at = now(),
              updated_at = now() WHERE id = $1`,
      [id],
    );
  }

  /** Back to the queue after a release (its claim deadline stays). */
  async markReleased(em: EntityManager, id: string): Promise<void> {
    await em.query(
      `UPDATE tickets SET status = 'open', claimed_by = NULL, claimed_at = NULL,
              last_activity_at = NULL, updated_at = now() WHERE id = $1`,
      [id],
    );
  }

  /** Back to the queue after a reopen: a fresh claim deadline, the original skill levels. */
  async markReopened(em: EntityManager, id: string): Promise<{ sla_deadline: Date }> {
    const [row] = await changedRows<{ sla_deadline: Date }>(
      em,
      `UPDATE tickets SET status = 'open', resolved_at = NULL, reopen_count = reopen_count + 1,
              claimed_by = NULL, claimed_at = NULL, last_activity_at = NULL,
              rank = priority, sla_breached_at = NULL, skill_levels = requested_levels,
              sla_deadline = now() + make_interval(secs => claim_sla_seconds), updated_at = now()
        WHERE id = $1 RETURNING sla_deadline`,
      [id],
    );
    return row;
  }

  /** After an SLA breach: raised one priority step, skill levels relaxed to `levels`. */
  async markSlaBreached(em: EntityManager, id: string, levels: number[]): Promise<void> {
    await em.query(
      `UPDATE tickets SET sla_breached_at = greatest(now(), sla_deadline), rank = least(3, rank + 1),
              skill_levels = $2, updated_at = now()
        WHERE id = $1`,
      [id, levels],
    );
  }

  /**
   * Whether the locked ticket's claim deadline has passed, by the database's clock now, not at
   * the transaction's start: a withdrawal that waited on the ticket's lock across the deadline
   * is late, and the breach is recorded before it.
   */
  async deadlinePassed(em: EntityManager, id: string): Promise<boolean> {
    const [{ due }]: { due: boolean }[] = await em.query(
      'SELECT sla_deadline <= clock_timestamp() AS due FROM tickets WHERE id = $1',
      [id],
    );
    return due;
  }

  /** Whether an instant has passed, by the database's clock (the one every timer compares to). */
  async hasPassed(em: EntityManager, at: string): Promise<boolean> {
    const [{ due }]: { due: boolean }[] = await em.query('SELECT $1::timestamptz <= now() AS due', [
      at,
    ]);
    return due;
  }

  /** Until when the agent is not offered this ticket again (after its release), if still. */
  async cooldownUntil(em: EntityManager, ticketId: string, agentId: string): Promise<Date | null> {
    const [row]: { until: Date }[] = await em.query(
      'SELECT until FROM ticket_cooldowns WHERE ticket_id = $1 AND agent_id = $2 AND until > now()',
      [ticketId, agentId],
    );
    return row?.until ?? null;
  }

  /** The agent is not offered (nor given) the ticket for `minutes`; returns when that ends. */
  async startCooldown(
    em: EntityManager,
    ticketId: string,
    agentId: string,
    minutes: number,
  ): Promise<Date> {
    const [row]: { until: Date }[] = await em.query(
      `INSERT INTO ticket_cooldowns (ticket_id, agent_id, until)
       VALUES ($1, $2, now() + make_interval(mins => $3))
       ON CONFLICT ON CONSTRAINT pk_ticket_cooldowns DO UPDATE SET until = EXCLUDED.until
       RETURNING until`,
      [ticketId, agentId, minutes],
    );
    return row.until;
  }
}
