import { Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { changedRows } from '../../database/sql';
import type { RequestFingerprint } from './idempotency-request';

type Db = DataSource | EntityManager;

/** A key's row as the interceptor needs it. */
export interface IdempotencyKeyRow {
  method: string;
  route: string;
  path: string;
  request_hash: string;
  state: 'in_progress' | 'completed';
  /** The lease of an in-progress row ran out: its owner died (or stalled past the lease). */
  lease_expired: boolean;
  /** The request holding it saved something (saved_by_xid): it is not run again. */
  saved: boolean;
  response_status: number | null;
  /** Sealed (SecretBox) JSON of the stored answer. */
  response_body: string | null;
  response_headers: Record<string, string> | null;
}

export interface StoredResponse {
  status: number;
  sealedBody: string;
  headers: Record<string, string>;
}

/** The SET of a row given its answer: status, sealed body and headers from parameter `$n` on. */
const completedWith = (n: number) =>
  `SET state = 'completed', lease_token = NULL, locked_until = NULL,
       response_status = $${n}, response_body = $${n + 1}, response_headers = $${n + 2}::jsonb,
       completed_at = now()`;

/** What marking the key's row before a COMMIT found (markSaving). */
export interface KeyMark {
  xid: string | null;
  marked: boolean;
  savedBy: string | null;
}

/** The idempotency_keys table: one row per (caller scope, key), see the migration. */
@Injectable()
export class IdempotencyKeysRepository {
  /**
   * Takes the key for this request, in one statement safe under concurrency: inserts it, or
   * takes over a row that expired (whatever it held) or whose owner's lease ran out while it
   * was running the very same request, having saved nothing (see `abandonSaved`). Returns false when a live row holds the key (another
   * request has it, or its answer is stored): the caller then reads it.
   */
  async acquire(
    db: Db,
    scope: string,
    key: string,
    fp: RequestFingerprint,
    leaseToken: string,
    leaseMs: number,
    ttlHours: number,
  ): Promise<boolean> {
    const rows: unknown[] = await db.query(
      `INSERT INTO idempotency_keys AS k
              (scope, idempotency_key, method, route, path, request_hash, state, lease_token,
               locked_until, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'in_progress', $7,
               now() + make_interval(secs => $8::double precision / 1000),
               now() + make_interval(hours => $9))
       ON CONFLICT ON CONSTRAINT pk_idempotency_keys DO UPDATE
          SET method = EXCLUDED.method, route = EXCLUDED.route, path = EXCLUDED.path,
              request_hash = EXCLUDED.request_hash, state = 'in_progress',
              lease_token = EXCLUDED.lease_token, locked_until = EXCLUDED.locked_until,
              response_status = NULL, response_body = NULL, response_headers = NULL,
              created_at = now(), completed_at = NULL, expires_at = EXCLUDED.expires_at,
              saved_by_xid = NULL
        WHERE k.expires_at <= now()
           OR (k.state = 'in_progress' AND k.locked_until <= now() AND k.saved_by_xid IS NULL
               AND k.method = EXCLUDED.method AND k.route = EXCLUDED.route
               AND k.path = EXCLUDED.path AND k.request_hash = EXCLUDED.request_hash)
       RETURNING 1`,
      [scope, key, fp.method, fp.route, fp.path, fp.requestHash, leaseToken, leaseMs, ttlHours],
    );
    return rows.length === 1;
  }

  /** The live row for a key (expired rows count as absent). */
  async find(db: Db, scope: string, key: string): Promise<IdempotencyKeyRow | null> {
    const rows: IdempotencyKeyRow[] = await db.query(
      `SELECT method, route, path, request_hash, state,
              (state = 'in_progress' AND locked_until <= now()) AS lease_expired,
              saved_by_xid IS NOT NULL AS saved,
              response_status, response_body, response_headers
         FROM idempotency_keys
        WHERE scope = $1 AND idempotency_key = $2 AND expires_at > now()`,
      [scope, key],
    );
    return rows[0] ?? null;
  }

  /** Keeps a long request's lease alive; false when the row is no longer ours. */
  async extendLease(
    db: Db,
    scope: string,
    key: string,
    leaseToken: string,
    leaseMs: number,
  ): Promise<boolean> {
    const rows = await changedRows(
      db,
      `UPDATE idempotency_keys
          SET locked_until = now() + make_interval(secs => $4::double precision / 1000)
        WHERE scope = $1 AND idempotency_key = $2 AND lease_token = $3
          AND state = 'in_progress'
       RETURNING 1 AS id`,
      [scope, key, leaseToken, leaseMs],
    );
    return rows.length === 1;
  }

  /** Stores the answer; false when another request took the key over meanwhile. */
  async complete(
    db: Db,
    scope: string,
    key: string,
    leaseToken: string,
    response: StoredResponse,
  ): Promise<boolean> {
    const rows = await changedRows(
      db,
      `UPDATE idempotency_keys ${completedWith(4)}
        WHERE scope = $1 AND idempotency_key = $2 AND lease_token = $3
          AND state = 'in_progress'
       RETURNING 1 AS id`,
      [scope, key, leaseToken, response.status, response.sealedBody, response.headers],
    );
    return rows.length === 1;
  }

  /** Frees the key (an answer that is not kept): the next request with it runs afresh. */
  async release(db: Db, scope: string, key: string, leaseToken: string): Promise<void> {
    await db.query(
      `DELETE FROM idempotency_keys
        WHERE scope = $1 AND idempotency_key = $2 AND lease_token = $3
          AND state = 'in_progress'`,
      [scope, key, leaseToken],
    );
  }

  /**
   * The current transaction's id (`xid`), or null when it has written (and locked) nothing;
   * with one, written on the key's row in this very transaction (saved_by_xid), so that the row
   * tells, once this commits, that the request holding the key saved something. `marked` is
   * false when the transaction has an id and the lease is no longer this request's: nothing is
   * written then, and `savedBy` is the row's own mark as it stands (null: none, or no row).
   */
  async markSaving(
    em: EntityManager,
    scope: string,
    key: string,
    leaseToken: string,
  ): Promise<KeyMark> {
    const [row]: KeyMark[] = await em.query(
      `WITH mark AS (
         UPDATE idempotency_keys SET saved_by_xid = txid_current()
          WHERE scope = $1 AND idempotency_key = $2 AND lease_token = $3
            AND state = 'in_progress' AND txid_current_if_assigned() IS NOT NULL
         RETURNING 1)
       SELECT txid_current_if_assigned()::text AS xid, EXISTS (SELECT 1 FROM mark) AS marked,
              (SELECT saved_by_xid::text FROM idempotency_keys
                WHERE scope = $1 AND idempotency_key = $2) AS "savedBy"`,
      [scope, key, leaseToken],
    );
    return row;
  }

  /**
   * Settles a key whose request saved something and whose owner's lease then ran out without
   * an answer stored (its process died, or could not reach the database): `answer` (unknown
   * outcome) is kept in place of running the request again. False when it is not such a row.
   */
  async abandonSaved(
    db: Db,
    scope: string,
    key: string,
    response: StoredResponse,
  ): Promise<boolean> {
    const rows = await changedRows(
      db,
      `UPDATE idempotency_keys ${completedWith(3)}
        WHERE scope = $1 AND idempotency_key = $2 AND state = 'in_progress'
          AND locked_until <= now() AND saved_by_xid IS NOT NULL
       RETURNING 1 AS id`,
      [scope, key, response.status, response.sealedBody, response.headers],
    );
    return rows.length === 1;
  }

  /**
   * How recent transactions ended, by id: `committed`, `aborted` or `in progress`
   * (PostgreSQL's txid_status, meant for a COMMIT whose answer was lost with its connection).
   */
  async transactionStatuses(db: Db, xids: string[]): Promise<Map<string, string | null>> {
    const rows: { xid: string; status: string | null }[] = await db.query(
      `SELECT x AS xid, txid_status(x::bigint) AS status FROM unnest($1::text[]) AS x`,
      [xids],
    );
    return new Map(rows.map((r) => [r.xid, r.status]));
  }

  /**
   * Deletes up to `limit` expired rows, oldest first, through the expires_at index; rows another
   * process is deleting (or taking over) are skipped, not waited for.
   */
  async purgeExpired(db: Db, limit: number): Promise<number> {
    const rows = await changedRows(
      db,
      `DELETE FROM idempotency_keys
        WHERE (scope, idempotency_key) IN (
              SELECT scope, idempotency_key FROM idempotency_keys
               WHERE expires_at <= now()
               ORDER BY expires_at
               LIMIT $1
                 FOR UPDATE SKIP LOCKED)
       RETURNING 1 AS id`,
      [limit],
    );
    return rows.length;
  }
}
