import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { migrationDataSourceOptions } from './migration-options';

/**
 * The data source the TypeORM CLI uses (`npm run migration:*`), configured like the server:
 * `.env` included. The running app builds its connection from the same typeormOptions().
 */
export default new DataSource(migrationDataSourceOptions());
