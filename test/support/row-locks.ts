import type { QueryRunner } from 'typeorm';
import type { TestApp } from './test-app';
import { waitFor, waitUntil } from './wait-for';

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

/**
 * Accepts the offer while another transaction holds its ticket, and lets the offer run out (by
 * the database's clock) while the accept waits: the accept read it pending, and decides after
 * its expiry. It expires a few seconds from now, so a loaded machine still reaches the lock in
 * time; returns the accept's answer once the ticket is free.
 */
export async function acceptPastExpiry(
  t: TestApp,
  offer: { id: string; ticketId: string },
  auth: Record<string, string>,
): Promise<{ status: number; body: { error?: { code: string } } }> {
  const { accept } = await withRowsHeld(
    t,
    'SELECT 1 FROM tickets WHERE id = $1 FOR UPDATE',
    [offer.ticketId],
    async () => {
      await t.db.query(
        `UPDATE offers SET expires_at = clock_timestamp() + interval '3 seconds' WHERE id = $1`,
        [offer.id],
      );
      const accept = t.http.post(`/v1/offers/${offer.id}/accept`).set(auth).then();
      await waitForLockWaiters(t, 1, 'the accept to wait on the ticket');
      await waitFor(async () => {
        const [{ past }] = await t.db.query(
          'SELECT clock_timestamp() > expires_at AS past FROM offers WHERE id = $1',
          [offer.id],
        );
        return past as boolean;
      }, 'the offer to run out');
      return { accept }; // not awaited here: the accept finishes once the ticket is free
    },
  );
  return accept;
}
