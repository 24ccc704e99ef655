import type { Logger } from 'pino';
import { Env } from '../config/env.validation';
import { defaultDatabaseUrl } from '../database/database-url';
import { checkRedis } from './check-redis';
import { developmentJwtSecret, developmentSecretsKey } from './dev-secret';
import { startEmbeddedPostgres } from './embedded-postgres';
import { assertDatabaseReady, ensureDatabaseExists, runMigrations } from './prepare-database';
import { isListening } from './probe';

export interface PreparedInfrastructure {
  /** Env with DATABASE_URL, JWT_SECRET and SECRETS_ENCRYPTION_KEY resolved. */
  env: Env;
  /** Stops what this process started (the embedded database), after the app has closed. */
  stop(): Promise<void>;
}

export interface PrepareOptions {
  /**
   * The database must exist and be migrated already (the command line): nothing is created or
   * migrated, and a missing database or a pending migration fails with what to do.
   */
  existingDatabase?: boolean;
}

/**
 * Everything that must hold before Nest starts: a database (embedded if none is configured
 * or running), the database itself, its migrations, a reachable Redis, a JWT secret and a key
 * for secrets at rest.
 */
export async function prepareInfrastructure(
  env: Env,
  log: Logger,
  options: PrepareOptions = {},
): Promise<PreparedInfrastructure> {
  let stop = async () => undefined as void;
  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    if (await isListening('127.0.0.1', env.EMBEDDED_PG_PORT)) {
      databaseUrl = defaultDatabaseUrl(env.EMBEDDED_PG_PORT);
    } else {
      const embedded = await startEmbeddedPostgres(
        env.EMBEDDED_PG_DATA_DIR,
        env.EMBEDDED_PG_PORT,
        log,
      );
      databaseUrl = embedded.url;
      stop = embedded.stop;
    }
  }
  try {
    await checkRedis(env.REDIS_URL);
    if (options.existingDatabase) {
      await assertDatabaseReady(databaseUrl);
    } else {
      await ensureDatabaseExists(databaseUrl, log);
      if (env.MIGRATIONS_RUN) await runMigrations(databaseUrl, log);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  let jwtSecret = env.JWT_SECRET;
  if (!jwtSecret) {
    jwtSecret = developmentJwtSecret();
    log.warn('JWT_SECRET is not set: using a generated development secret from .data/');
  }
  let secretsKey = env.SECRETS_ENCRYPTION_KEY;
  if (!secretsKey) {
    secretsKey = developmentSecretsKey();
    log.warn('SECRETS_ENCRYPTION_KEY is not set: using a generated development key from .data/');
  }
  return {
    env: Object.assign(env, {
      DATABASE_URL: databaseUrl,
      JWT_SECRET: jwtSecret,
      SECRETS_ENCRYPTION_KEY: secretsKey,
    }),
    stop,
  };
}
