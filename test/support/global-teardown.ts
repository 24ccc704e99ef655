import { adminClient } from './services';
import { RUN_ENV } from './test-database';

/**
 * Drops every database this run created. Test apps leave theirs to this (a DROP DATABASE forces
 * an immediate checkpoint, which stalled the files still running: test-app.ts), so the run's
 * databases all go here, one after another, once nothing else is writing.
 */
export default async function globalTeardown(): Promise<void> {
  const run = process.env[RUN_ENV];
  if (!run) return;
  const admin = await adminClient();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1`,
      [`handoff\\_test\\_${run}\\_%`],
    );
    for (const { datname } of rows) {
      await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}
