import { FakeStripe } from '../../src/modules/stripe/fake-stripe.server';
import {
  executedRun,
  expectPaidExactlyOnce,
  fakeStripeEnv,
  fakeStripeWorker,
  linesByStatus,
  payableAgents,
  transfersByLine,
  watchStripeCalls,
} from '../support/faults-payouts';
import { waitUntil } from '../support/wait-for';
import { ensureKilled, Spawned } from '../support/processes';
import { createTestApp, TestApp } from '../support/test-app';

/*
 * test/payout-crash.e2e-spec.ts SIGKILLs the worker at a random moment of a run. This drill
 * aims at the dangerous one: Stripe answers slowly (500 ms), so the kill lands while transfer
 * calls are in flight — Stripe makes those transfers, our process never hears of them and never
 * commits phase 3. The restarted worker must find them (same idempotency key, or the lookup of
 * an earlier attempt's transfer) and pay nothing twice.
 */

const LINES = 20;
const STRIPE_LATENCY_MS = 500;

describe('worker SIGKILLed between Stripe making a transfer and our commit', () => {
  const fake = new FakeStripe();
  let t: TestApp;
  let stripe: ReturnType<typeof watchStripeCalls>;
  const workers: Spawned[] = [];

  beforeAll(async () => {
    await fake.start();
    stripe = watchStripeCalls(fake);
    t = await createTestApp({ env: fakeStripeEnv(fake) });
  });
  afterAll(async () => {
    ensureKilled(...workers);
    await t?.close();
    await fake.stop();
  });

  const worker = () => {
    const w = fakeStripeWorker(t, fake, { STRIPE_RATE_PER_SECOND: '20' });
    workers.push(w);
    return w;
  };

  it('pays every line exactly once; transfers made during the kill are found, not repeated', async () => {
    await payableAgents(t, fake, LINES);
    const { runId, finance } = await executedRun(t, LINES);
    fake.faults = { rate: 0, latencyMs: STRIPE_LATENCY_MS };

    const first = worker();
    await first.waitForOutput(/Handoff worker started/);
    await waitUntil(
      () => linesByStatus(t, runId, 'paid'),
      (paid) => paid >= 5,
      '5 lines paid',
      60_000,
    );
    first.proc.kill('SIGKILL');
    await first.exited;
    // Stripe finishes the calls that were in flight when the worker died (it makes those
    // transfers though nobody hears the answer): wait until it has answered every call it got.
    await waitUntil(
      async () => stripe.unanswered(),
      (calls) => calls.length === 0,
      'the fake Stripe to answer the calls in flight at the kill',
      { timeoutMs: 10 * STRIPE_LATENCY_MS, intervalMs: 20 },
    );

    const paid: { id: string }[] = await t.db.query(
      `SELECT id FROM payout_lines WHERE run_id = $1 AND status = 'paid'`,
      [runId],
    );
    const paidIds = new Set(paid.map((l) => l.id));
    const orphans = [...transfersByLine(fake, runId).keys()].filter((id) => !paidIds.has(id));
    // The moment this drill is about: Stripe moved money we have not booked.
    expect(orphans.length).toBeGreaterThan(0);
    expect(paidIds.size).toBeLessThan(LINES);

    fake.faults = { rate: 0 };
    const second = worker();
    await second.waitForOutput(/Handoff worker started/);
    await waitUntil(
      () => linesByStatus(t, runId, 'paid'),
      (paid) => paid === LINES,
      'every line paid after the restart',
      60_000,
    );
    second.proc.kill('SIGTERM');
    await second.exited;

    await expectPaidExactlyOnce(t, fake, runId, finance, LINES);
    // The orphaned lines were settled by a second attempt that found Stripe's transfer.
    const [{ retried }] = await t.db.query(
      `SELECT count(*)::int AS retried FROM payout_lines WHERE id = ANY($1) AND attempts >= 2`,
      [orphans],
    );
    expect(retried).toBe(orphans.length);
  }, 120_000);
});
