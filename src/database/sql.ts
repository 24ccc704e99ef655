import type { DataSource, EntityManager } from 'typeorm';

/**
 * Rows of an `UPDATE … RETURNING` or `DELETE … RETURNING`. TypeORM's query() hands those back
 * as `[rows, affectedCount]` (unlike SELECT and INSERT), so `.length` on the raw result is always
 * 2 — a trap that silently turns "nothing matched" into "something did".
 */
export async function changedRows<T = { id: string }>(
  db: EntityManager | DataSource,
  sql: string,
  params: unknown[],
): Promise<T[]> {
  if (!/^\s*(UPDATE|DELETE)\b/i.test(sql)) throw new Error('changedRows is for UPDATE/DELETE');
  const [rows] = (await db.query(sql, params)) as [T[], number];
  return rows;
}

/**
 * Deletes a table's rows matching `where`, `batch` at a time, each batch its own statement and
 * so its own short transaction (outside any the caller holds: pass the DataSource's manager).
 * One DELETE of an hour's or a day's rows held a transaction open for its whole length: the
 * events sequencer positions nothing written after a transaction still running began
 * (pg_snapshot_xmin), so every live event waited for the prune. SKIP LOCKED lets two pruners
 * take different rows instead of queueing on each other's. `goOn`, asked before each batch,
 * lets a process shutting down stop between batches. Returns how many went.
 */
export async function deleteInBatches(
  em: EntityManager,
  table: string,
  key: string,
  where: string,
  params: unknown[],
  batch = 5000,
  goOn: () => boolean = () => true,
): Promise<number> {
  let total = 0;
  while (goOn()) {
    const [, deleted] = (await em.query(
      `DELETE FROM ${table} WHERE ${key} IN (
         SELECT ${key} FROM ${table} WHERE ${where} LIMIT ${batch} FOR UPDATE SKIP LOCKED)`,
      params,
    )) as [unknown, number];
    total += deleted;
    if (deleted < batch) return total;
  }
  return total;
}

/**
 * A hot statement as a named prepared statement (issue 20): PostgreSQL parses and plans it once
 * per connection, then only binds and runs it. On intake's statement this took about a third
 * of the database's CPU per request off (docs/performance.md, "Levers"). `name` must be unique
 * to `text` in the whole process (pg refuses one name for two texts on a connection). Runs in
 * the manager's transaction if it has one, else on a pooled connection, as query() does; errors
 * are pg's own (the constraint mapping reads both). Behind PgBouncer in transaction mode this
 * needs `max_prepared_statements` (PgBouncer 1.21 and later). Name the result's columns: a
 * prepared plan whose result shape changes (a migration adding a column under `RETURNING *`)
 * fails in every process that prepared it before.
 */
export async function preparedQuery<T>(
  em: EntityManager,
  name: string,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const runner = em.queryRunner ?? em.connection.createQueryRunner();
  try {
    const client = (await runner.connect()) as {
      query(q: { name: string; text: string; values: unknown[] }): Promise<{ rows: T[] }>;
    };
    return (await client.query({ name, text, values })).rows;
  } finally {
    if (!em.queryRunner) await runner.release();
  }
}

/**
 * `column` (a timestamptz) as text to the microsecond, named `cursor_at`, for a keyset cursor.
 * PostgreSQL keeps microseconds and a JavaScript Date only milliseconds: a cursor made from the
 * Date of a page's last row (…12.123 for …12.123789) skips every row between …12.123000 and it,
 * which rows written in the same millisecond (intake at hundreds a second) often are.
 */
export function cursorInstant(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at`;
}

/** A row read with `cursorInstant`. */
export type KeyedRow<T> = T & { cursor_at: string };

/**
 * The database's clock as its SQL reads it in this transaction (`now()`, the transaction's
 * start), in epoch milliseconds: for a check in code that SQL elsewhere makes by that clock
 * (a seat's claim, a shift's completion), so an API process whose clock runs off the
 * database's does not decide otherwise.
 */
export async function databaseNow(em: EntityManager): Promise<number> {
  const [row]: { now: Date }[] = await em.query('SELECT now() AS now');
  return row.now.getTime();
}
