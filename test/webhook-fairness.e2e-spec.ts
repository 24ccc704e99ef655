import { QueuesService } from '../src/modules/jobs/queues.service';
import { MetricsRegistry } from '../src/modules/metrics/metrics-registry';
import { createApiKey, registerCompany, SignedIn } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';
import { slaBreachNow, WebhookReceiver, webhookReceiver } from './support/webhooks';

/**
 * One company's receiver that hangs must not hold every webhook slot: its deliveries waited
 * WEBHOOK_TIMEOUT_MS each, 32 at a time, and every other company's waited behind its backlog.
 */
describe('webhook slots are shared fairly between companies', () => {
  let t: TestApp;
  const receivers: WebhookReceiver[] = [];
  beforeAll(async () => {
    t = await createTestApp({
      workers: true,
      env: {
        WEBHOOK_CONCURRENCY: '4',
        WEBHOOK_CONCURRENCY_PER_COMPANY: '2',
        // Longer than the test: only the cap can free a slot.
        WEBHOOK_TIMEOUT_MS: '120000',
        WEBHOOK_ATTEMPTS: '1',
        OUTBOX_POLL_MS: '100',
      },
    });
  });
  afterAll(async () => {
    // Closing the hanging connections ends their attempts, so the workers can stop.
    for (const r of receivers) await r.stop();
    await t.close();
  });

  const companyWithReceiver = async (name: string, hang: boolean) => {
    const company: SignedIn = await registerCompany(t, name);
    const receiver = webhookReceiver({ hang });
    receivers.push(receiver);
    const url = await receiver.start();
    await t.http.put('/v1/companies/me/webhook').set(company.auth).send({ url }).expect(200);
    return { company, key: await createApiKey(t, company), receiver };
  };

  // Its waits together may take longer than the default test timeout on a loaded machine: a
  // longer one lets their own messages say which did not come.
  it("delivers to a healthy receiver while another company's hangs, which holds only its share", async () => {
    const stuck = await companyWithReceiver('Hanging Receiver Co', true);
    const healthy = await companyWithReceiver('Healthy Receiver Co', false);
    for (let i = 0; i < 6; i++) await slaBreachNow(t, stuck.key);
    await waitFor(
      async () => stuck.receiver.received.length >= 2,
      'the hanging receiver holding its two slots',
    );
    // Its other four wait their turn before the healthy company's event comes: their rows are
    // written (by jobs of their own, which on a loaded machine trail the first two) and put
    // back at least once. Otherwise the healthy delivery could find a free slot with no backlog
    // competing, and pass without the cap.
    const queue = t.app.get(QueuesService).get('webhooks');
    const deferredSoFar = async () =>
      (
        await t.app
          .get(MetricsRegistry)
          .registry.getSingleMetric('handoff_webhook_deliveries_deferred_total')!
          .get()
      ).values[0]?.value ?? 0;
    const row = await waitFor(async () => {
      const [counts]: { total: number; untried: number }[] = await t.db.query(
        `SELECT count(*)::int AS total, count(*) FILTER (WHERE attempts = 0)::int AS untried
           FROM webhook_deliveries WHERE company_id = $1`,
        [stuck.company.companyId],
      );
      const waiting = await queue.getDelayed();
      return counts.total === 6 && waiting.length > 0 && (await deferredSoFar()) > 0 && counts;
    }, 'the hanging receiver’s other deliveries written and put back');
    // Put back without spending their one attempt (the two in flight have not recorded theirs
    // yet).
    expect(row).toEqual({ total: 6, untried: 6 });
    for (const job of await queue.getDelayed()) expect(job.attemptsMade).toBe(0);

    await slaBreachNow(t, healthy.key);
    const [delivered] = await waitFor(
      async () => healthy.receiver.received.length > 0 && healthy.receiver.received,
      'the healthy company’s delivery',
      15_000,
    );
    expect(JSON.parse(delivered.body)).toMatchObject({ type: 'ticket.sla_breached' });
    // Two of the four slots, however many of its deliveries wait.
    expect(stuck.receiver.received).toHaveLength(2);
  }, 90_000);
});
