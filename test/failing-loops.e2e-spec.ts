import { EventSequencer } from '../src/modules/events/event-sequencer.service';
import { OutboxRelay } from '../src/modules/outbox/outbox-relay.service';
import { randomUUID } from 'node:crypto';
import { EventsService } from '../src/modules/events/events.service';
import { OutboxService } from '../src/modules/outbox/outbox.service';
import { createTestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/*
 * The outbox relay and the events sequencer loop: a pass, then a sleep of a poll unless new rows
 * woke them during the pass. A pass that fails at once while rows keep coming (each one's NOTIFY
 * marks the loop woken) looped without a pause, logging an error each time; a failed pass now
 * always waits a whole poll, which no wake-up ends, and the errors of a streak are logged once a
 * minute.
 */
describe('loops whose passes fail', () => {
  it('wait a poll between failed passes, though woken during each', async () => {
    const woken = (loop: unknown) => ((loop as { dirty: boolean }).dirty = true);
    const relayed = jest
      .spyOn(OutboxRelay.prototype, 'relayOnce')
      .mockImplementation(async function (this: OutboxRelay) {
        woken(this);
        throw new Error('Redis did not take the default jobs within 2000 ms');
      });
    const sequenced = jest
      .spyOn(EventSequencer.prototype, 'sequenceOnce')
      .mockImplementation(async function (this: EventSequencer) {
        woken(this);
        throw new Error('connection reset');
      });
    const t = await createTestApp({
      workers: true,
      env: { OUTBOX_POLL_MS: '600000', EVENTS_POLL_MS: '600000' },
    });
    try {
      const listening = () =>
        [t.app.get(OutboxRelay), t.app.get(EventSequencer)].every(
          (loop) => (loop as unknown as { listener: unknown }).listener,
        );
      await waitFor(async () => listening(), 'both loops listening');
      // Rows committed while they pause: each one's NOTIFY woke the failing pass again.
      for (let i = 0; i < 5; i += 1) {
        await t.db.transaction(async (em) => {
          await t.app.get(OutboxService).enqueue(em, 'system.ping', { requestedAt: 'now' });
          await t.app.get(EventsService).record(em, {
            type: 'test.loop',
            agentId: randomUUID(),
            data: {},
          });
        });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // One pass at start-up, then asleep for ten minutes (before: thousands in this second,
      // or one more at each commit).
      expect(relayed.mock.calls.length).toBeLessThanOrEqual(2);
      expect(sequenced.mock.calls.length).toBeLessThanOrEqual(2);
    } finally {
      relayed.mockRestore();
      sequenced.mockRestore();
      await t.close();
    }
  });
});
