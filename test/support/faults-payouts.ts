import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { FakeStripe } from '../../src/modules/stripe/fake-stripe.server';
import { createStaff, SignedIn } from './factories';
import { fund, onboarded } from './money';
import { runBuilt, type Spawned } from './processes';
import { TEST_REDIS_URL } from './services';
import { TEST_JWT_SECRET, type TestApp } from './test-app';

/*
 * Payout drill helpers (the fault drills share them; test/payout-crash.e2e-spec.ts inlines the
 * same steps and could use them too).
 */

/**
 * A worker process (the built `worker.js`) on the test app's database and queues, paying
 * through the fake Stripe: short job locks, so a killed worker's jobs are taken up soon.
 */
export function fakeStripeWorker(
  t: TestApp,
  fake: FakeStripe,
  env: Record<string, string> = {},
): Spawned {
  return runBuilt('worker.js', {
    ...fakeStripeEnv(fake),
    DATABASE_URL: t.env.DATABASE_URL!,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: t.env.QUEUE_PREFIX,
    JWT_SECRET: TEST_JWT_SECRET,
    JOB_LOCK_MS: '2000',
    OUTBOX_POLL_MS: '100',
    LOG_LEVEL: 'info',
    ...env,
  });
}

/** Env pointing the Stripe SDK at a fake Stripe server. */
export function fakeStripeEnv(fake: FakeStripe): Record<string, string> {
  return {
    STRIPE_SECRET_KEY: 'sk_test_fake',
    STRIPE_WEBHOOK_SECRET: 'whsec_platform',
    STRIPE_CONNECT_WEBHOOK_SECRET: 'whsec_connect',
    STRIPE_API_BASE: `http://127.0.0.1:${fake.port}`,
  };
}

/** `count` onboarded agents straight in the database, each with money available to pay out. */
export async function payableAgents(t: TestApp, fake: FakeStripe, count: number) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = randomUUID();
    await t.db.query(
      `INSERT INTO users (id, email, password_hash, role) VALUES ($1, $2, 'x', 'agent')`,
      [id, `drill-${id}@example.test`],
    );
    await t.db.query(`INSERT INTO agents (user_id, display_name) VALUES ($1, 'Drill')`, [id]);
    await onboarded(t, fake, id);
    await fund(t, id, 1000 + i, 'EUR');
    ids.push(id);
  }
  return ids;
}

/** Drafts, approves (a second finance user) and executes a EUR run of every payable line. */
export async function executedRun(
  t: TestApp,
  lines: number,
): Promise<{ runId: string; finance: SignedIn }> {
  const maker = await createStaff(t, 'finance');
  const checker = await createStaff(t, 'finance');
  const draft = await t.http.post('/v1/payout-runs').set(maker.auth).send({ currency: 'EUR' });
  if (draft.status !== 201 || draft.body.totals.payableLines !== lines)
    throw new Error(`draft: ${draft.status} ${JSON.stringify(draft.body)}`);
  await t.http.post(`/v1/payout-runs/${draft.body.id}/approve`).set(checker.auth).expect(200);
  await t.http.post(`/v1/payout-runs/${draft.body.id}/execute`).set(maker.auth).expect(202);
  return { runId: draft.body.id, finance: maker };
}

export async function linesByStatus(t: TestApp, runId: string, status: string): Promise<number> {
  const [{ n }] = await t.db.query(
    `SELECT count(*)::int AS n FROM payout_lines WHERE run_id = $1 AND status = $2`,
    [runId, status],
  );
  return n;
}

export interface StripeCall {
  method: string;
  path: string;
  idempotencyKey: string | null;
}

/**
 * Calls the fake Stripe has received but not answered yet, so a drill can wait for "the fake
 * holds these calls" or "the fake has answered everything it got" instead of sleeping. A call
 * counts as received once its body is in (the fake then reads its fault policy at once), and as
 * answered when the fake records it in `fake.requests` (a faulted call that hangs until its
 * caller gives up is never recorded: not for drills with `hangMs`). Call right after
 * `fake.start()`.
 * (FakeStripe has no public hook for arriving requests: its HTTP server is reached by name.)
 */
export function watchStripeCalls(fake: FakeStripe): { unanswered: () => StripeCall[] } {
  const server = fake['server'];
  if (!server) throw new Error('watchStripeCalls: start the fake Stripe first');
  const answeredBefore = fake.requests.length;
  const received: StripeCall[] = [];
  server.on('request', (req: IncomingMessage) => {
    const call = {
      method: req.method ?? '',
      path: new URL(req.url ?? '/', 'http://fake').pathname,
      idempotencyKey: (req.headers['idempotency-key'] as string | undefined) ?? null,
    };
    // The hosted onboarding page is no API call: the fake serves it without recording it.
    if (!call.path.startsWith('/express/')) req.once('end', () => received.push(call));
  });
  const key = (c: StripeCall) => `${c.method} ${c.path} ${c.idempotencyKey ?? ''}`;
  return {
    unanswered() {
      const open = new Map<string, StripeCall[]>();
      for (const c of received) open.set(key(c), [...(open.get(key(c)) ?? []), c]);
      for (const r of fake.requests.slice(answeredBefore)) open.get(key(r))?.pop();
      return [...open.values()].flat();
    },
  };
}

/** Transfers Stripe holds for this run, by payout line (from their metadata). */
export function transfersByLine(fake: FakeStripe, runId: string): Map<string, number> {
  const perLine = new Map<string, number>();
  for (const tr of fake.transfers.values()) {
    const meta = tr.metadata as { runId?: string; payoutLineId?: string };
    if (meta.runId !== runId) continue;
    perLine.set(meta.payoutLineId!, (perLine.get(meta.payoutLineId!) ?? 0) + 1);
  }
  return perLine;
}

/**
 * The run is completed, each line has exactly one Stripe transfer (by metadata, and one
 * processed POST per idempotency key), the ledger booked exactly what Stripe moved, the books
 * balance, and reconciliation matches every line.
 */
export async function expectPaidExactlyOnce(
  t: TestApp,
  fake: FakeStripe,
  runId: string,
  finance: SignedIn,
  lines: number,
): Promise<void> {
  const perLine = transfersByLine(fake, runId);
  expect(perLine.size).toBe(lines);
  expect([...perLine.entries()].filter(([, n]) => n !== 1)).toEqual([]);

  const rows: {
    id: string;
    idempotency_key: string;
    stripe_transfer_id: string;
    amount_minor: string;
  }[] = await t.db.query(
    'SELECT id, idempotency_key, stripe_transfer_id, amount_minor FROM payout_lines WHERE run_id = $1',
    [runId],
  );
  const keys = new Set(rows.map((r) => r.idempotency_key));
  const created = new Map<string, number>();
  for (const r of fake.processed('POST', '/v1/transfers')) {
    // 200: Stripe made a transfer; 299 (the fake's mark): an idempotent replay of one.
    if (r.status === 200 && r.idempotencyKey && keys.has(r.idempotencyKey))
      created.set(r.idempotencyKey, (created.get(r.idempotencyKey) ?? 0) + 1);
  }
  expect(created.size).toBe(lines);
  expect([...created.entries()].filter(([, n]) => n !== 1)).toEqual([]);
  for (const line of rows) {
    expect(fake.transfers.get(line.stripe_transfer_id)?.amount).toBe(Number(line.amount_minor));
  }

  const ids = rows.map((l) => l.id);
  const [{ booked, entries }] = await t.db.query(
    `SELECT coalesce(sum(l.amount_minor), 0)::bigint AS booked, count(DISTINCT e.id)::int AS entries
       FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
       JOIN ledger_accounts a ON a.id = l.account_id
      WHERE e.kind = 'payout' AND a.code = 'agent_available' AND e.payout_line_id = ANY($1)`,
    [ids],
  );
  const moved = [...fake.transfers.values()]
    .filter((tr) => (tr.metadata as { runId?: string }).runId === runId)
    .reduce((s, tr) => s + Number(tr.amount), 0);
  expect(Number(booked)).toBe(moved);
  expect(entries).toBe(lines);
  const [{ total }] = await t.db.query(
    `SELECT coalesce(sum(amount_minor), 0)::bigint AS total FROM journal_lines WHERE currency = 'EUR'`,
  );
  expect(Number(total)).toBe(0);
  const rec = await t.http
    .get(`/v1/payout-runs/${runId}/reconciliation`)
    .set(finance.auth)
    .expect(200);
  expect(rec.body.counts).toMatchObject({
    matched: lines,
    amount_mismatch: 0,
    reversal_mismatch: 0,
    missing_at_stripe: 0,
    unexpected_at_stripe: 0,
  });
  const run = await t.http.get(`/v1/payout-runs/${runId}`).set(finance.auth).expect(200);
  expect(run.body.status).toBe('completed');
}
