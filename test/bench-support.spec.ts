/**
 * The benchmarks' own helpers: a wrong percentile, a CPU figure lost to one exited backend, a
 * stop that waits for an exit already past, or a demo that passes with its books off would each
 * make a benchmark report what did not happen.
 */
import { spawn } from 'node:child_process';
import type { Client } from 'pg';
import { CpuMeter } from '../bench/cpu-meter';
import { booksProblem, type PayoutOutcome } from '../bench/demo/finance';
import { pct, stopProcess } from '../bench/support';

describe('bench helpers', () => {
  it('percentiles are nearest-rank: the p99 of 100 values is the 99th, not the largest', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100, unsorted
    expect(pct(xs, 99)).toBe(99);
    expect(pct(xs, 50)).toBe(50);
    expect(pct(xs, 100)).toBe(100);
    expect(pct([7], 99)).toBe(7);
    expect(pct([], 99)).toBe(0);
  });

  it('leaves out a backend it cannot read instead of losing the whole database figure', () => {
    const meter = new CpuMeter(null as unknown as Client);
    const client = process.cpuUsage();
    const a = {
      api: 10,
      backends: new Map<number, number | null>([
        [1, 100],
        [2, 50],
      ]),
      client,
    };
    const b = {
      api: 30,
      // 2 exited meanwhile; 3 connected during the phase and counts from zero.
      backends: new Map<number, number | null>([
        [1, 140],
        [2, null],
        [3, 25],
      ]),
      client,
    };
    expect(meter.diff(a, b)).toMatchObject({ api: 20, db: 65 });
    const unreadable = { ...b, backends: new Map<number, number | null>([[1, null]]) };
    expect(meter.diff(a, unreadable).db).toBeNull();
  });

  it('stops a process that has exited already at once, and kills one that ignores SIGTERM', async () => {
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => gone.once('exit', r));
    await stopProcess(gone); // resolves: before, it waited for an exit event already past

    const stubborn = spawn(process.execPath, [
      '-e',
      "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)",
    ]);
    await new Promise((r) => stubborn.stdout.once('data', r));
    const stopped = stopProcess(stubborn, 200);
    await stopped;
    expect(stubborn.signalCode).toBe('SIGKILL');
  });

  it('fails the demo when its books are off: a trial balance off zero, or transfers Stripe disagrees with', () => {
    const counts = {
      matched: 3,
      amount_mismatch: 0,
      reversal_mismatch: 0,
      missing_at_stripe: 0,
      unexpected_at_stripe: 0,
      not_sent: 0,
    };
    const outcome = (trialBalanceZero: boolean, off = 0) =>
      ({
        trialBalanceZero,
        reconciliation: { counts: { ...counts, missing_at_stripe: off } },
      }) as unknown as PayoutOutcome;
    expect(booksProblem(outcome(true))).toBeNull();
    expect(booksProblem(outcome(false))).toMatch(/trial balance/);
    expect(booksProblem(outcome(true, 2))).toMatch(/2 transfers off/);
    expect(booksProblem({ trialBalanceZero: true, reconciliation: null })).toBeNull();
  });
});
