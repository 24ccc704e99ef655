import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import pino from 'pino';
import { runMigrations } from '../../src/bootstrap/prepare-database';
import { adminClient, checkServices, databaseUrl } from './services';
import { assertTestName, RUN_ENV, TEMPLATE_ENV } from './test-database';

const STALE_AFTER_SECONDS = 3600;

/**
 * Once per run: check the services, drop databases left by crashed runs, and migrate a template
 * that every test file clones. Nothing stays connected to the template afterwards, since
 * CREATE DATABASE … TEMPLATE refuses a template in use.
 */
export default async function globalSetup(): Promise<void> {
  buildIfChanged();
  await checkServices();
  const run = `${Math.floor(Date.now() / 1000)}_${process.pid}`;
  const template = `handoff_test_${run}_template`;
  assertTestName(template);
  const admin = await adminClient();
  try {
    const stale = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname ~ '^handoff_test_[0-9]+_'
          AND split_part(datname, '_', 3)::bigint < extract(epoch FROM now()) - $1`,
      [STALE_AFTER_SECONDS],
    );
    for (const { datname } of stale.rows) {
      await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    }
    await admin.query(`CREATE DATABASE ${template}`);
  } finally {
    await admin.end();
  }
  await runMigrations(databaseUrl(template), pino({ level: 'warn' }));
  process.env[TEMPLATE_ENV] = template;
  process.env[RUN_ENV] = run;
}

/**
 * The tests load the app from dist/ (test/support/jest-resolver.js): rebuild it first when a
 * source changed since the last build, so `npx jest` never tests stale code (milliseconds when
 * nothing did; `npm test` has done it already in `pretest`).
 */
function buildIfChanged(): void {
  const root = join(__dirname, '..', '..');
  const result = spawnSync(process.execPath, [join(root, 'scripts', 'launch.js'), 'built'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    throw new Error(`The build failed (exit ${result.status ?? result.signal}): tests need dist/`);
  }
}
