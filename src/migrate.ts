import 'reflect-metadata';
import { withMigrationLock } from './bootstrap/prepare-database';
import { databaseName } from './database/database-url';
import { migrationDatabaseUrl } from './database/migration-options';
import { MIGRATIONS_TABLE } from './database/typeorm-options';

const USAGE = `Usage: npm run migration:run | npm run migration:revert

  run      Runs every pending migration, each in its own transaction.
  revert   Reverts the last migration run.

Both read DATABASE_URL as the server does (.env in the working directory; the environment
wins), and wait while an API or worker process starting up runs migrations.
`;

/**
 * The by-hand migration commands. TypeORM's own CLI took no lock, so one run while an API or a
 * worker started raced it through the same migrations; these take the lock start-up takes.
 */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if ((command !== 'run' && command !== 'revert') || rest.length > 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  const url = migrationDatabaseUrl();
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const waiting = () => say('Another process is running migrations; waiting for it to finish…');
  if (command === 'run') {
    const ran = await withMigrationLock(url, waiting, (ds) =>
      ds.runMigrations({ transaction: 'each' }),
    );
    for (const m of ran) say(`Ran ${m.name}`);
    say(`${ran.length} migration(s) run on "${databaseName(url)}"`);
    return 0;
  }
  const reverted = await withMigrationLock(url, waiting, async (ds) => {
    const [{ table }]: { table: string | null }[] = await ds.query(
      'SELECT to_regclass($1)::text AS table',
      [MIGRATIONS_TABLE],
    );
    if (table === null) return null;
    const [last]: { name: string }[] = await ds.query(
      `SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY id DESC LIMIT 1`,
    );
    if (!last) return null;
    await ds.undoLastMigration({ transaction: 'each' });
    return last.name;
  });
  say(
    reverted
      ? `Reverted ${reverted} on "${databaseName(url)}"`
      : `No migration to revert on "${databaseName(url)}"`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
