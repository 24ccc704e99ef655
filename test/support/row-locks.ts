import type { QueryRunner } from 'typeorm';
import type { TestApp } from './test-app';
import { waitUntil } from './wait-for';

/**
 * For tests of what happens when a use case waits on a lock while something else commits:
 * hold a row in another transaction, fire the request, wait until it queues behind the row,
 * commit what should happen meanwhile, release.
 */

/** How many sessions of the test's database wait on a lock. */
export async function lockWaiters(t: TestApp): Promise<number> {
  const [{ n }]: { n: number }[] = await t.db.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock'`,
  );
  return n;
}

/** Waits until `n` sessions wait on a lock (the requests fired so far are queued). */
export function waitForLockWaiters(t: TestApp, n: number, what: string): Promise<number> {
  return waitUntil(
    () => lockWaiters(t),
    (k) => k >= n,
    what,
    { intervalMs: 20 },
  );
}

/**
 * Runs `body` while another transaction holds the rows `lockSql` locks; `body` may write in it
 * and commit it (`held.commitTransaction()`); otherwise it is rolled back at the end.
 */
export async function withRowsHeld<T>(
  t: TestApp,
  lockSql: string,
  params: unknown[],
  body: (held: QueryRunner) => Promise<T>,
): Promise<T> {
  const held = t.db.createQueryRunner();
  await held.connect();
  try {
    await held.startTransaction();
    await held.query(lockSql, params);
    return await body(held);
  } finally {
    if (held.isTransactionActive) await held.rollbackTransaction();
    await held.release();
  }
}

/**
 * Fires `request` while another transaction holds the agent's row (as a router pass, an accept
 * or a claim does), waits until it queues behind the row, runs `meanwhile` in that transaction,
 * commits it, and returns the request's answer.
 */
export function whileAgentHeld<T>(
  t: TestApp,
  agentId: string,
  request: () => PromiseLike<T>,
  what: string,
  meanwhile?: (held: QueryRunner) => Promise<unknown>,
): Promise<T> {
  return withRowsHeld(
    t,
    'SELECT 1 FROM agents WHERE user_id = $1 FOR NO KEY UPDATE',
    [agentId],
    async (held) => {
      const answer = Promise.resolve(request());
      await waitForLockWaiters(t, 1, what);
      await meanwhile?.(held);
      await held.commitTransaction();
      return answer;
    },
  );
}
