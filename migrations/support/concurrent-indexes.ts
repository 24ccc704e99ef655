import { QueryRunner } from 'typeorm';

/** An index to build: its name, and what follows `ON` in CREATE INDEX. */
export type IndexSpec = [name: string, definition: string];

/**
 * Builds the indexes CONCURRENTLY (in a migration with `transaction = false`), so that the
 * table's writes go on during the build. The build waits for every older snapshot, so processes
 * waiting for the migration lock wait idle (withMigrationLock). A build cut short leaves an
 * invalid index behind: it is dropped and built again, not taken for done.
 * (Not in a migration file: TypeORM takes every function a migration file exports for a
 * migration.)
 */
export async function createIndexesConcurrently(q: QueryRunner, indexes: IndexSpec[]) {
  for (const [name, definition] of indexes) {
    const invalid: unknown[] = await q.query(
      `SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relname = $1 AND NOT i.indisvalid`,
      [name],
    );
    if (invalid.length > 0) await q.query(`DROP INDEX CONCURRENTLY ${name}`);
    await q.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS ${name} ON ${definition}`);
  }
}

/** Their revert. Not CONCURRENTLY: TypeORM reverts in a transaction whatever `transaction` says. */
export async function dropIndexes(q: QueryRunner, indexes: IndexSpec[]) {
  for (const [name] of [...indexes].reverse()) await q.query(`DROP INDEX IF EXISTS ${name}`);
}
