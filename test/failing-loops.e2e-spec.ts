import { EventSequencer } from '../src/modules/events/event-sequencer.service';
import { OutboxRelay } from '../src/modules/outbox/outbox-relay.service';
import { createTestApp } from './support/test-app';

/*
 * The outbox relay and the events sequencer loop: a pass, then a sleep of a poll unless new rows
 * woke them during the pass. A pass that fails at once while rows keep coming (each one's NOTIFY
 * marks the loop woken) looped without a pause, logging an error each time; a failed pass now
 * always waits a poll (or the next wake-up), and the errors of a streak are logged once a minute.
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
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      // One pass at start-up, then asleep for ten minutes (before: thousands in this second).
      expect(relayed.mock.calls.length).toBeLessThanOrEqual(2);
      expect(sequenced.mock.calls.length).toBeLessThanOrEqual(2);
    } finally {
      relayed.mockRestore();
      sequenced.mockRestore();
      await t.close();
    }
  });
});
