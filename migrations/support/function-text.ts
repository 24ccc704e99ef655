import { QueryRunner } from 'typeorm';

/**
 * Edits a SQL function's stored text in place: each change's text must be found exactly once
 * (a migration run against a function it does not expect stops instead of guessing).
 */
export async function replaceInFunction(
  q: QueryRunner,
  signature: string,
  changes: [string, string][],
): Promise<void> {
  const [{ def }]: { def: string }[] = await q.query(
    `SELECT pg_get_functiondef($1::regprocedure) AS def`,
    [signature],
  );
  let next = def;
  for (const [from, to] of changes) {
    if (next.split(from).length !== 2) {
      throw new Error(`${signature} does not hold, once, the text to replace: ${from.trim()}`);
    }
    next = next.replace(from, to);
  }
  await q.query(next);
}
