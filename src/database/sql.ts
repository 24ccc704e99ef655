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
