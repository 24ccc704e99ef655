import { Injectable } from '@nestjs/common';
import type { Client } from 'pg';
import { EntityManager } from 'typeorm';
import { deleteInBatches } from '../../database/sql';
import { JobName } from '../jobs/job-registry';

/** An unsent row as the relay reads it. */
export interface OutboxRelayRow {
  id: string;
  job_name: JobName;
  payload: unknown;
  /** bigint as a string: timers weeks away exceed a 32-bit int of milliseconds. */
  delay_ms: string;
  /** The X-Request-Id that wrote the row, if any (its job carries it on). */
  request_id: string | null;
}

/** Due unsent rows of one job (dueUnsent). */
export interface OutboxDueRow {
  job_name: string;
  due: number;
  oldest_age_seconds: number;
  /** Due for longer than the caller's threshold. */
  late: number;
}

/** A row's id, as INSERT … RETURNING gives it. */
export interface OutboxIdRow {
  id: string;
}

/**
 * Every statement on `outbox`: OutboxService's writes, the relay's reads and marks, and the
 * workers' finished marks. The relay's and the NOTIFY's statements are moved here as they were:
 * their text, locks and timing are part of the relay's design (ADR 0002, migration
 * OutboxNotifyAfterCommit).
 */
@Injectable()
export class OutboxRepository {
  /** One row; returns its id. */
  async insert(
    em: EntityManager,
    name: JobName,
    payloadJson: string,
    runAt: Date | null,
    requestId: string | null,
  ): Promise<string> {
    const rows: OutboxIdRow[] = await em.query(
      `INSERT INTO outbox (job_name, payload, run_at, request_id)
       VALUES ($1, $2, COALESCE($3, now()), $4) RETURNING id`,
      [name, payloadJson, runAt, requestId],
    );
    return rows[0].id;
  }

  /** Several rows in one statement (hot paths such as a ticket claim write two). */
  async insertMany(
    em: EntityManager,
    names: JobName[],
    payloadsJson: string[],
    runAts: (Date | null)[],
    requestId: string | null,
  ): Promise<void> {
    await em.query(
      `INSERT INTO outbox (job_name, payload, run_at, request_id)
       SELECT name, payload, coalesce(run_at, now()), $4
         FROM unnest($1::text[], $2::jsonb[], $3::timestamptz[]) AS j(name, payload, run_at)`,
      [names, payloadsJson, runAts, requestId],
    );
  }

  /**
   * One row per row of `payloadsSql` (the caller's query, whose single column is the payload),
   * in one statement.
   */
  async insertSelected(
    em: EntityManager,
    name: JobName,
    payloadsSql: string,
    params: unknown[],
    requestId: string | null,
  ): Promise<void> {
    await em.query(
      `INSERT INTO outbox (job_name, payload, request_id)
       SELECT $${params.length + 1}, p.payload, $${params.length + 2}::text
         FROM (${payloadsSql}) AS p(payload)`,
      [...params, name, requestId],
    );
  }

  /** Wakes the relays listening on the `outbox` channel. */
  async notifyRelays(em: EntityManager): Promise<void> {
    await em.query(`SELECT pg_notify('outbox', '')`);
  }

  /** Subscribes a relay's own connection (not the pool's) to the `outbox` channel. */
  async listen(client: Client): Promise<void> {
    await client.query('LISTEN outbox');
  }

  /**
   * Locks up to `limit` unsent rows of the given jobs (SKIP LOCKED, so several relays share the
   * work), oldest first, with the delay until each may run.
   */
  lockUnsent(em: EntityManager, limit: number, jobNames: JobName[]): Promise<OutboxRelayRow[]> {
    return em.query(
      `SELECT id, job_name, payload, request_id,
              GREATEST(0, (extract(epoch FROM run_at - now()) * 1000))::bigint AS delay_ms
         FROM outbox WHERE sent_at IS NULL AND job_name = ANY($2::text[])
        ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit, jobNames],
    );
  }

  /** A row's payload; undefined when the row is gone. */
  async payloadOf(em: EntityManager, id: string): Promise<unknown> {
    const rows: { payload: unknown }[] = await em.query(
      `SELECT payload FROM outbox WHERE id = $1`,
      [id],
    );
    return rows[0]?.payload;
  }

  /**
   * When the row was written (its transaction's start), as PostgreSQL's text: to the
   * microsecond, which a Date would cut to the millisecond. Undefined when the row is gone.
   */
  async writtenAt(em: EntityManager, id: string): Promise<string | undefined> {
    const rows: { created_at: string }[] = await em.query(
      `SELECT created_at::text AS created_at FROM outbox WHERE id = $1`,
      [id],
    );
    return rows[0]?.created_at;
  }

  async markSent(em: EntityManager, ids: string[]): Promise<void> {
    await em.query(`UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])`, [ids]);
  }

  /** Marks every sent-but-unfinished row unsent again; returns how many. */
  async markUnfinishedUnsent(em: EntityManager): Promise<number> {
    const [, resent]: [unknown, number] = await em.query(
      `UPDATE outbox SET sent_at = NULL WHERE sent_at IS NOT NULL AND finished_at IS NULL`,
    );
    return resent;
  }

  /**
   * Sent rows not finished, after `after` by id: relayed and due at least `afterMinutes` ago,
   * and due or relayed within the last `withinHours`: a job cannot finish before it is sent, so
   * one relayed that recently, had it completed, would still be in Redis (which lets completed
   * jobs go a day after they finish). By due time alone, rows relayed late (the workers down
   * for a day while the API wrote) were never looked at. Reads the partial
   * ix_outbox_unfinished (migration OutboxUnfinished).
   */
  sentUnfinished(
    em: EntityManager,
    after: string,
    limit: number,
    window: { afterMinutes: number; withinHours: number },
  ): Promise<{ id: string; job_name: JobName }[]> {
    return em.query(
      `SELECT id, job_name FROM outbox
        WHERE finished_at IS NULL AND id > $1
          AND sent_at < now() - make_interval(mins => $3)
          AND run_at < now() - make_interval(mins => $3)
          AND greatest(run_at, sent_at) > now() - make_interval(hours => $4)
        ORDER BY id LIMIT $2`,
      [after, limit, window.afterMinutes, window.withinHours],
    );
  }

  /** Marks these rows unsent again if they are still sent and unfinished; returns how many. */
  async markUnsentIfUnfinished(em: EntityManager, ids: string[]): Promise<number> {
    const [, resent]: [unknown, number] = await em.query(
      `UPDATE outbox SET sent_at = NULL
        WHERE id = ANY($1::bigint[]) AND sent_at IS NOT NULL AND finished_at IS NULL`,
      [ids],
    );
    return resent;
  }

  /**
   * Marks these rows finished, the `failed` among them as failed for good. A row marked failed
   * takes a later outcome too (its job retried from the dashboard or re-armed by the sweep): the
   * mark dates the job's last failure, from which Redis keeps it 14 days, or says it completed.
   */
  async markFinished(em: EntityManager, ids: string[], failed: string[] = []): Promise<void> {
    await em.query(
      `UPDATE outbox SET finished_at = now(), failed = id = ANY($2::bigint[])
        WHERE id = ANY($1::bigint[]) AND (finished_at IS NULL OR failed OR id = ANY($2::bigint[]))`,
      [ids, failed],
    );
  }

  /** When the oldest row of this job not finished yet was written (null: none). */
  async oldestUnfinished(em: EntityManager, jobName: string): Promise<Date | null> {
    const [row]: { oldest: Date | null }[] = await em.query(
      `SELECT min(created_at) AS oldest FROM outbox WHERE job_name = $1 AND finished_at IS NULL`,
      [jobName],
    );
    return row.oldest;
  }

  /** Prunes the rows done with, in short batches (deleteInBatches); returns how many went. */
  deleteSentBefore(
    em: EntityManager,
    keepDays: number,
    keepFailedDays: number,
    batch?: number,
    goOn?: () => boolean,
  ): Promise<number> {
    // Unfinished rows stay while their job may still be waiting in Redis (a timer weeks away);
    // a row whose finish mark was lost goes a week after it was due. A job that failed for
    // good may still be retried from Redis's failed set and read its payload from its row.
    return deleteInBatches(
      em,
      'outbox',
      'id',
      `sent_at < now() - make_interval(hours => 24 * $1)
       AND CASE WHEN finished_at IS NULL THEN run_at < now() - make_interval(hours => 24 * $1)
                WHEN failed THEN finished_at < now() - make_interval(hours => 24 * $2)
                ELSE true END`,
      [keepDays, keepFailedDays],
      batch,
      goOn,
    );
  }

  /**
   * Due rows not yet relayed, per job: how many, the oldest one's age, and how many have been
   * due for more than `lateSeconds`. Reads only the unsent rows (the partial ix_outbox_unsent).
   */
  dueUnsent(em: EntityManager, lateSeconds: number): Promise<OutboxDueRow[]> {
    return em.query(
      `SELECT job_name, count(*)::int AS due,
              extract(epoch FROM now() - min(run_at))::float8 AS oldest_age_seconds,
              count(*) FILTER (WHERE run_at < now() - make_interval(secs => $1))::int AS late
         FROM outbox WHERE sent_at IS NULL AND run_at <= now()
        GROUP BY job_name`,
      [lateSeconds],
    );
  }
}
