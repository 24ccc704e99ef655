import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { databaseName, withDatabase } from '../database/database-url';
import { MIGRATIONS_TABLE, typeormOptions } from '../database/typeorm-options';

// Any constant works; it only has to be the same in every process of this app.
export const MIGRATION_LOCK_KEY = 4_242_001;

/**
 * Creates the database named in `url` when it does not exist yet. Its own database is tried
 * first: a role allowed to connect only there (a managed PostgreSQL, a pg_hba line for that
 * database) could not start when this always went through the `postgres` maintenance
 * database, which is needed only to create it.
 */
export async function ensureDatabaseExists(url: string, log: Logger): Promise<void> {
  const target = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await target.connect();
    return; // it exists
  } catch (e) {
    if ((e as { code?: string }).code !== '3D000') throw e; // not "database does not exist"
  } finally {
    await target.end().catch(() => undefined);
  }
  const name = databaseName(url);
  const admin = new Client({
    connectionString: withDatabase(url, 'postgres'),
    connectionTimeoutMillis: 5000,
  });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).catch((e: unknown) => {
        // Another process created it between our check and our CREATE.
        if ((e as { code?: string }).code !== '42P04') throw e;
      });
      log.info({ database: name }, 'created database');
    }
  } finally {
    await admin.end();
  }
}

/**
 * For the command line: the database must exist and be migrated already. It creates and
 * migrates nothing: a mistyped DATABASE_URL made an empty database and answered as if there
 * were nothing to do, and a CLI run from a newer release migrated the database under the
 * running older processes.
 */
export async function assertDatabaseReady(url: string): Promise<void> {
  const name = databaseName(url);
  const ds = new DataSource({ ...typeormOptions(url, 1), logging: ['error'] });
  try {
    await ds.initialize();
  } catch (e) {
    if ((e as { code?: string }).code === '3D000') {
      throw new Error(
        `database "${name}" does not exist: check DATABASE_URL (the command line creates no database)`,
      );
    }
    throw e;
  }
  try {
    // showMigrations would create the migrations table of a database never migrated.
    const [{ table }]: { table: string | null }[] = await ds.query(
      'SELECT to_regclass($1)::text AS table',
      [MIGRATIONS_TABLE],
    );
    if (table === null || (await ds.showMigrations())) {
      throw new Error(
        `database "${name}" has migrations to run: start the API or a worker of this release ` +
          '(they run them) or run `npm run migration:run`, then this command again',
      );
    }
  } finally {
    await ds.destroy();
  }
}

/**
 * Runs pending migrations. An advisory lock keeps an API and a worker process that start
 * together from racing each other through the same migrations.
 */
export async function runMigrations(url: string, log: Logger): Promise<string[]> {
  return withMigrationLock(
    url,
    () => log.info('waiting for another process to finish its migrations'),
    async (ds) => {
      const ran = await ds.runMigrations({ transaction: 'each' });
      if (ran.length > 0) log.info({ migrations: ran.map((m) => m.name) }, 'ran migrations');
      return ran.map((m) => m.name);
    },
  );
}

/**
 * Runs `work` holding the migration lock, on a data source of its own. Every process that
 * changes the schema takes it: start-up, and `npm run migration:run` or `migration:revert` by
 * hand (src/migrate.ts). `onWait` is called once when another holds it.
 */
export async function withMigrationLock<T>(
  url: string,
  onWait: () => void,
  work: (ds: DataSource) => Promise<T>,
): Promise<T> {
  const lock = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await lock.connect();
  try {
    const tryLock = async () =>
      (
        (await lock.query('SELECT pg_try_advisory_lock($1) AS taken', [MIGRATION_LOCK_KEY]))
          .rows as { taken: boolean }[]
      )[0].taken;
    if (!(await tryLock())) {
      onWait();
      // Asked again and again, idle between: a session blocked in pg_advisory_lock holds a
      // snapshot, and the holder's CREATE INDEX CONCURRENTLY (migration RetentionIndexes) waits
      // for every older snapshot to end: each would wait for the other for good.
      while (!(await tryLock())) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const ds = new DataSource({ ...typeormOptions(url, 2), logging: ['error'] });
    await ds.initialize();
    try {
      return await work(ds);
    } finally {
      await ds.destroy();
    }
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.end();
  }
}
