import { FakeStripe } from '../../src/modules/stripe/fake-stripe.server';
import {
  executedRun,
  expectPaidExactlyOnce,
  fakeStripeEnv,
  linesByStatus,
  payableAgents,
  watchStripeCalls,
} from '../support/faults-payouts';
import { waitFor, waitUntil } from '../support/wait-for';
import { createTestApp, TestApp } from '../support/test-app';

/*
 * Stripe slow past the SDK timeout, then failing a share of calls with 429 and 500.
 *
 * The SDK timeout (STRIPE_TIMEOUT_MS, 20 s by default) is set to 3 s here and the drill waits
 * for it for real: the first transfer calls are answered after 4 s.
 * The fake still makes those transfers, as Stripe does with a request it received: our side
 * times out, retries with the same idempotency key (or finds the transfer), and must not pay
 * twice. Meanwhile and afterwards 30 % of calls fail with 429 or 500 and are retried with backoff.
 */

const LINES = 24;
const SDK_TIMEOUT_MS = 3_000;

describe('fake Stripe slower than the SDK timeout, then failing 30 % of calls', () => {
  const fake = new FakeStripe();
  let t: TestApp;
  let stripe: ReturnType<typeof watchStripeCalls>;

  beforeAll(async () => {
    await fake.start();
    stripe = watchStripeCalls(fake);
    t = await createTestApp({
      workers: true,
      env: {
        ...fakeStripeEnv(fake),
        STRIPE_RATE_PER_SECOND: '20',
        STRIPE_TIMEOUT_MS: String(SDK_TIMEOUT_MS),
        OUTBOX_POLL_MS: '100',
      },
    });
  });
  afterAll(async () => {
    fake.faults = { rate: 0 };
    await t?.close();
    await fake.stop();
  });

  it('completes the run with no duplicate transfer; the ledger equals Stripe', async () => {
    await payableAgents(t, fake, LINES);
    // Executing reads the platform's balance at Stripe first (a slow Stripe there is a 503:
    // nothing starts), so the slowness begins once the run is executing.
    const { runId, finance } = await executedRun(t, LINES);
    // Every call that arrives now is answered after the SDK has given up on it.
    fake.faults = { rate: 0, latencyMs: SDK_TIMEOUT_MS + 1000 };
    // The payouts worker runs 8 lines at a time: wait until all 8 are stuck in a slow call,
    // each line's transfer call received by the fake (and held past the SDK timeout).
    const slow = await waitFor(async () => {
      const lines: { id: string; idempotency_key: string }[] = await t.db.query(
        `SELECT id, idempotency_key FROM payout_lines WHERE run_id = $1 AND status = 'processing'`,
        [runId],
      );
      const held = new Set(
        stripe
          .unanswered()
          .filter((c) => c.method === 'POST' && c.path === '/v1/transfers')
          .map((c) => c.idempotencyKey),
      );
      return lines.length >= 8 && lines.every((l) => held.has(l.idempotency_key)) && lines;
    }, 'eight transfer calls held by the slow Stripe');
    // From now on Stripe answers at once, but 30 % of money-moving calls fail with 429 or 500.
    fake.faults = { rate: 0.3, statuses: [429, 500] };

    await waitUntil(
      () => linesByStatus(t, runId, 'paid'),
      (paid) => paid === LINES,
      'every line paid',
      90_000,
    );
    await expectPaidExactlyOnce(t, fake, runId, finance, LINES);

    // The faults really happened: the slow lines timed out and went again; 429s and 500s met.
    const [{ retried }] = await t.db.query(
      `SELECT count(*)::int AS retried FROM payout_lines WHERE id = ANY($1) AND attempts >= 2`,
      [slow.map((l) => l.id)],
    );
    expect(retried).toBe(slow.length);
    const statuses = new Set(fake.requests.map((r) => r.status));
    expect(statuses).toContain(429);
    expect(statuses).toContain(500);
    expect(await linesByStatus(t, runId, 'failed')).toBe(0);
  }, 150_000);
});
