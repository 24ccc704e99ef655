import 'reflect-metadata';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { validateEnv } from '../config/env.validation';
import { defaultDatabaseUrl } from './database-url';
import { typeormOptions } from './typeorm-options';

/**
 * The data source the TypeORM CLI uses (`npm run migration:*`). The running app builds its
 * connection from the same typeormOptions().
 */
const env = validateEnv(process.env);
export default new DataSource({
  ...typeormOptions(env.DATABASE_URL ?? defaultDatabaseUrl(env.EMBEDDED_PG_PORT)),
  entities: [join(__dirname, '..', '**', '*.entity.{ts,js}')],
});
