import pg from 'pg';
import pino from 'pino';
import { ensureDatabaseExists } from '../src/bootstrap/prepare-database';
import { databaseName } from '../src/database/database-url';
import { databaseUrl } from './support/services';
import { createTestDatabase, dropTestDatabase, RUN_ENV } from './support/test-database';

/**
 * Start-up looked for its database through the `postgres` maintenance database every time: a
 * role allowed to connect only to its own database (a managed PostgreSQL, a pg_hba line for
 * that database) could not start. It goes there only to create a missing one.
 */
describe('ensureDatabaseExists', () => {
  const log = pino({ enabled: false });
  /** The database each client made was for. */
  const connectedTo: string[] = [];
  let spy: jest.SpyInstance;
  beforeEach(() => {
    connectedTo.length = 0;
    const Real = pg.Client;
    spy = jest.spyOn(pg, 'Client').mockImplementation(((config: pg.ClientConfig) => {
      connectedTo.push(databaseName(String(config.connectionString)));
      return new Real(config);
    }) as never);
  });
  afterEach(() => spy.mockRestore());

  it('connects to an existing database alone, not to the maintenance database', async () => {
    const name = await createTestDatabase();
    connectedTo.length = 0; // the test's own admin client
    try {
      await ensureDatabaseExists(databaseUrl(name), log);
      expect(connectedTo).toEqual([name]);
    } finally {
      await dropTestDatabase(name);
    }
  });

  it('creates a missing one through the maintenance database', async () => {
    const name = `handoff_test_${process.env[RUN_ENV]}_missing`;
    await dropTestDatabase(name);
    connectedTo.length = 0;
    try {
      await ensureDatabaseExists(databaseUrl(name), log);
      expect(connectedTo).toEqual([name, 'postgres']);
      connectedTo.length = 0;
      await ensureDatabaseExists(databaseUrl(name), log); // there now
      expect(connectedTo).toEqual([name]);
    } finally {
      await dropTestDatabase(name);
    }
  });
});
