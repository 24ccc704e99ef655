// Orders test files longest first, so that no long file starts last and runs on alone while the
// other worker idles. Jest does this itself from the durations it recorded in its cache on the
// previous run; a fresh clone (CI) has none, and Jest then orders by file size, which put the
// demo (a small file that runs the whole demo, ~100 s) near the end: a run in a fresh clone took
// 599 s of Jest against 547 s with the cache's order.
//
// SLOW lists, in seconds, the files that took 15 s or more on this 2-core machine (from Jest's
// perf cache, 12-06). It is only a hint: a recorded duration wins, and a file missing from it
// (new or fast) is placed after the listed ones by its size. Failed files still go first.
'use strict';
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const SLOW = {
  'test/process.e2e-spec.ts': 110,
  'test/demo.e2e-spec.ts': 105,
  'test/receivables.e2e-spec.ts': 65,
  'test/payouts.e2e-spec.ts': 45,
  'test/ledger.e2e-spec.ts': 30,
  'test/event-stream.e2e-spec.ts': 28,
  'test/docs.e2e-spec.ts': 27,
  'test/webhook-deliveries.e2e-spec.ts': 27,
  'test/offers.e2e-spec.ts': 27,
  'test/invoices.e2e-spec.ts': 27,
  'test/quality.e2e-spec.ts': 22,
  'test/client.e2e-spec.ts': 22,
  'test/timer-sweep.e2e-spec.ts': 22,
  'test/payout-run-read.e2e-spec.ts': 21,
  'test/seats.e2e-spec.ts': 21,
  'test/credit-control.e2e-spec.ts': 21,
  'test/payout-crash.e2e-spec.ts': 20,
  'test/webhooks.e2e-spec.ts': 20,
  'test/tickets.e2e-spec.ts': 17,
  'test/input.e2e-spec.ts': 15,
  'test/faults/redis-restart.fault-spec.ts': 75,
  'test/faults/invoice-closing.fault-spec.ts': 24,
  'test/faults/worker-kill.fault-spec.ts': 19,
};

class LongestFirst extends Sequencer {
  sort(tests) {
    const expected = (test) => {
      // As Jest's own sort does: its scheduler reads the recorded duration from here.
      const recorded = (test.duration = this.time(test));
      if (recorded != null) return recorded;
      const hint =
        SLOW[path.relative(test.context.config.rootDir, test.path).split(path.sep).join('/')];
      if (hint != null) return hint * 1000;
      // Below every hint (milliseconds against bytes / 1000): larger files first, as Jest does.
      return (test.context.hasteFS.getSize(test.path) ?? 0) / 1000;
    };
    const keyed = tests.map((test) => ({ test, failed: this.hasFailed(test), ms: expected(test) }));
    keyed.sort((a, b) => (a.failed !== b.failed ? (a.failed ? -1 : 1) : b.ms - a.ms));
    return keyed.map(({ test }) => test);
  }
}

module.exports = LongestFirst;
