import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { loadDotEnv } from '../bootstrap/dot-env';
import { validateEnv } from '../config/env.validation';
import { defaultDatabaseUrl } from './database-url';
import { typeormOptions } from './typeorm-options';

/**
 * What the TypeORM CLI connects with (`npm run migration:*`): the same configuration as the
 * server, so `.env` in the working directory is read exactly as at start-up (a variable set
 * in the real environment wins) and DATABASE_URL falls back to the same local default.
 */
export function migrationDataSourceOptions(
  env: Record<string, string | undefined> = process.env,
  envFile = '.env',
): DataSourceOptions {
  return {
    ...typeormOptions(migrationDatabaseUrl(env, envFile)),
    entities: [join(__dirname, '..', '**', '*.entity.{ts,js}')],
  };
}

/** The database the server would use, `.env` read as at its start-up. */
export function migrationDatabaseUrl(
  env: Record<string, string | undefined> = process.env,
  envFile = '.env',
): string {
  loadDotEnv(envFile, env);
  const config = validateEnv(env);
  return config.DATABASE_URL ?? defaultDatabaseUrl(config.EMBEDDED_PG_PORT);
}
