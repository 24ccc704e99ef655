import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { SnakeNamingStrategy } from './snake-naming.strategy';

export const MIGRATIONS_GLOB = join(__dirname, '..', '..', 'migrations', '*.{ts,js}');
export const MIGRATIONS_TABLE = 'typeorm_migrations';

/** One place for connection options, shared by the app, the CLI data source and tests. */
export function typeormOptions(url: string, poolSize = 8): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    migrationsRun: false, // run by prepareDatabase under an advisory lock instead
    migrations: [MIGRATIONS_GLOB],
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    extra: {
      max: poolSize,
      connectionTimeoutMillis: 5000,
      // A killed backend can make a client emit 'error' twice: TypeORM's listener handles the
      // first and detaches, and an 'error' with no listener would crash the process (seen
      // with pg_terminate_backend under load). The failing query reports the error itself,
      // so this listener only keeps the process alive; the pool drops the broken client.
      onConnect: (client: EventEmitter) => {
        client.on('error', () => undefined);
      },
    },
  };
}
