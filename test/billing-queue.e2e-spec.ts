import { randomUUID } from 'node:crypto';
import { InvoiceCollectionService } from '../src/modules/billing/invoice-collection.service';
import { QueuesService } from '../src/modules/jobs/queues.service';
import { OutboxService, outboxJobId } from '../src/modules/outbox/outbox.service';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/**
 * A period's close issues every company's invoice, several Stripe calls each. On the `default`
 * queue those jobs held all of its slots for as long as Stripe took, and the timers, offers and
 * ticket events bound for companies' bots waited behind them.
 */
describe('billing jobs run on a queue of their own', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ workers: true, env: { OUTBOX_POLL_MS: '100' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it("a close's invoices waiting on Stripe hold no slot of the default queue", async () => {
    let answer = () => {};
    const stripe = new Promise<void>((resolve) => (answer = resolve));
    const started: string[] = [];
    const issue = jest
      .spyOn(t.app.get(InvoiceCollectionService), 'issue')
      .mockImplementation(async (invoiceId: string) => {
        started.push(invoiceId);
        await stripe;
        return { issued: false };
      });
    const outbox = t.app.get(OutboxService);
    try {
      // More invoices than the default queue has slots (8), all waiting on Stripe.
      await t.db.transaction(async (em) => {
        for (let i = 0; i < 12; i++)
          await outbox.enqueue(em, 'billing.invoice-issue', { invoiceId: randomUUID() });
      });
      await waitFor(async () => started.length >= 4, 'the invoices being issued');
      // Meanwhile a job of the default queue runs at once.
      const ping = await outbox.enqueue(t.db.manager, 'system.ping', {
        requestedAt: new Date().toISOString(),
      });
      const queue = t.app.get(QueuesService).get('default');
      await waitFor(
        async () => (await queue.getJobState(outboxJobId(ping))) === 'completed',
        'the ping, while every invoice still waits on Stripe',
        10_000,
      );
      // Four at a time: the rest wait their turn in their own queue.
      expect(started).toHaveLength(4);
    } finally {
      answer();
      await waitFor(async () => started.length === 12, 'every invoice, once Stripe answers');
      issue.mockRestore();
    }
  });
});
