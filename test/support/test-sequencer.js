// Orders test files so that the two workers stay busy to the end. Jest orders by the durations
// it recorded on the previous run, or, in a fresh clone (CI) with none, by file size, which put
// the demo (a small file that runs the whole demo, ~100 s) near the end: a fresh clone's run
// took 599 s of Jest against 547 s in the recorded order.
//
// LEAD is the order the long files (15 s or more on this 2-core machine, 12-06) start in,
// whatever is recorded. Longest first, with one exception: the two longest, process.e2e and
// demo.e2e, spend much of their time waiting on child processes (start-ups, the demo's think
// times), and started side by side they left a third of the CPU idle for their first minute and
// a half. The demo therefore starts once process.e2e's neighbour has had two CPU-bound files.
// The other files follow by recorded duration, else by size (larger first), failed ones first.
'use strict';
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const LEAD = [
  'test/process.e2e-spec.ts', // ~110 s
  'test/receivables.e2e-spec.ts', // ~65 s
  'test/payouts.e2e-spec.ts', // ~45 s
  'test/demo.e2e-spec.ts', // ~105 s
  'test/ledger.e2e-spec.ts',
  'test/event-stream.e2e-spec.ts',
  'test/docs.e2e-spec.ts',
  'test/webhook-deliveries.e2e-spec.ts',
  'test/offers.e2e-spec.ts',
  'test/invoices.e2e-spec.ts',
  'test/quality.e2e-spec.ts',
  'test/client.e2e-spec.ts',
  'test/timer-sweep.e2e-spec.ts',
  'test/payout-run-read.e2e-spec.ts',
  'test/seats.e2e-spec.ts',
  'test/credit-control.e2e-spec.ts',
  'test/payout-crash.e2e-spec.ts',
  'test/webhooks.e2e-spec.ts',
  'test/tickets.e2e-spec.ts',
  'test/input.e2e-spec.ts',
  // The fault drills (`npm run test:faults`, one worker: the longest first, ~75 s).
  'test/faults/redis-restart.fault-spec.ts',
];

class LeadFirst extends Sequencer {
  sort(tests) {
    const rank = (test) =>
      LEAD.indexOf(path.relative(test.context.config.rootDir, test.path).split(path.sep).join('/'));
    const keyed = tests.map((test) => ({
      test,
      failed: this.hasFailed(test),
      lead: rank(test),
      // As Jest's own sort does: its scheduler reads the recorded duration from here.
      recorded: (test.duration = this.time(test)),
      size: test.context.hasteFS.getSize(test.path) ?? 0,
    }));
    keyed.sort(
      (a, b) =>
        Number(b.failed) - Number(a.failed) ||
        // Listed ones first, in their order.
        (a.lead < 0 ? LEAD.length : a.lead) - (b.lead < 0 ? LEAD.length : b.lead) ||
        (b.recorded ?? -1) - (a.recorded ?? -1) ||
        b.size - a.size,
    );
    return keyed.map(({ test }) => test);
  }
}

module.exports = LeadFirst;
