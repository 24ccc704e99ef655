import { randomBytes } from 'node:crypto';
import { adminClient } from './services';

export const TEMPLATE_ENV = 'HANDOFF_TEST_TEMPLATE';
export const RUN_ENV = 'HANDOFF_TEST_RUN';

/** Guard against pointing a destructive helper at a real database. */
export function assertTestName(name: string): void {
  if (!/^handoff_test_[a-z0-9_]+$/.test(name)) {
    throw new Error(
      `Refusing to touch database "${name}": test databases are named handoff_test_*`,
    );
  }
}

/** Clones the migrated template: a fresh, fully migrated database in ~100 ms. */
export async function createTestDatabase(): Promise<string> {
  const template = process.env[TEMPLATE_ENV];
  const run = process.env[RUN_ENV];
  if (!template || !run)
    throw new Error('Test template missing: run tests through jest (globalSetup)');
  const name = `handoff_test_${run}_f${randomBytes(4).toString('hex')}`;
  assertTestName(name);
  const admin = await adminClient();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  } finally {
    await admin.end();
  }
  return name;
}

export async function dropTestDatabase(name: string): Promise<void> {
  assertTestName(name);
  const admin = await adminClient();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
