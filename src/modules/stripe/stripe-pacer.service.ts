import { Injectable } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { ConfigService } from '@nestjs/config';
import { Env } from '../../config/env.validation';
import { QueuesService } from '../jobs/queues.service';

const SCRIPT = 'handoffStripeSlot';
// Reserves the next free call slot and answers how many microseconds to wait for it. One
// script, so processes never take the same slot; Redis's clock, so they agree on "now".
const RESERVE_SLOT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
redis.call('SET', KEYS[1], slot + tonumber(ARGV[1]), 'PX', 60000)
return slot - now`;

/** How long a call waits for Redis to reserve its slot before it goes ahead unpaced. */
export const RESERVE_TIMEOUT_MS = 2_000;

/** Slots taken ahead by `prepaid` for the Stripe calls of the work it runs. */
const prepaidSlots = new AsyncLocalStorage<{ left: number }>();

/**
 * Spaces every Stripe call evenly at STRIPE_RATE_PER_SECOND, across every process (the SDK's
 * requests go through PacedHttpClient): each call waits for its own slot, one every 1/R s
 * (GCRA, as redis-cell does). Its key stays under the payouts queue's prefix, where it began.
 *
 * Why not BullMQ's queue limiter: it gates job starts in fixed windows, while Stripe counts
 * calls arriving in a sliding second. The database phase before each call moves calls across
 * window edges (4,021 429s in a 50,000-line run at 100 ms windows), and short windows leave
 * slots unused while the worker polls (0.885 of R at one job per 10 ms). Reserved slots are
 * never unused while calls wait for them.
 */
@Injectable()
export class StripePacer {
  private readonly intervalUs: number;
  private readonly scriptLoaded = new WeakSet<object>();

  constructor(
    private readonly queues: QueuesService,
    config: ConfigService<Env, true>,
  ) {
    // 1% under R: a call reaching Stripe a few ms late would otherwise make R + 1 in some
    // second. Measured at 20k lines: 257 → 115 429s, 0.970 → 0.961 of R (within noise).
    this.intervalUs = Math.ceil(1_010_000 / config.get('STRIPE_RATE_PER_SECOND', { infer: true }));
  }

  /**
   * Resolves when this process may make one Stripe call. Rejects at once while Redis is not
   * connected (ioredis would hold the script until it reconnects, minutes with BullMQ's retry
   * strategy), and after RESERVE_TIMEOUT_MS without an answer: the caller then goes ahead
   * unpaced rather than hang an API request or a job on the pacer.
   */
  async slot(): Promise<void> {
    const queue = this.queues.get('payouts');
    const redis = await within(queue.client, RESERVE_TIMEOUT_MS);
    if (redis.status !== 'ready') throw new Error(`Redis ${redis.status}`);
    if (!this.scriptLoaded.has(redis)) {
      redis.defineCommand(SCRIPT, { numberOfKeys: 1, lua: RESERVE_SLOT });
      this.scriptLoaded.add(redis);
    }
    const waitUs = Number(
      await within(
        redis.runCommand(SCRIPT, [queue.toKey('stripe-slot'), this.intervalUs]),
        RESERVE_TIMEOUT_MS,
      ),
    );
    if (waitUs > 0) await new Promise((r) => setTimeout(r, waitUs / 1000));
  }

  /**
   * This Stripe call's turn (PacedHttpClient): a slot taken ahead by `prepaid`, else one now.
   */
  async turn(): Promise<void> {
    const ahead = prepaidSlots.getStore();
    if (ahead && ahead.left > 0) {
      ahead.left -= 1;
      return;
    }
    await this.slot();
  }

  /**
   * Runs `work` with the slot of its first Stripe call taken before it starts: for a call made
   * inside a transaction under row locks (an account read again under its row's lock, a Stripe
   * event applied under its own), which would otherwise hold the locks and a pooled connection
   * while it waits its turn. Only the first: a slot taken ahead is used as late as the work
   * before the call takes, and a second or third call, made after the first one's answer
   * (hundreds of ms at Stripe), would land on slots other processes are using on time, over
   * the rate. Best effort, as `slot`: without an answer from Redis the call is paced in `work`
   * or goes ahead.
   */
  async prepaid<T>(work: () => Promise<T>): Promise<T> {
    const taken = await this.slot().then(
      () => true,
      () => false,
    );
    return taken ? prepaidSlots.run({ left: 1 }, work) : work();
  }
}

/** `promise`, or a rejection after `ms` (the timer never keeps the process alive). */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
