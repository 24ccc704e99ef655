import { Injectable, Logger } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';
import { QueuesService } from '../jobs/queues.service';
import { accountOf } from './login-devices.service';

/** Failures in this window count toward one account's slowdown; each failure extends it. */
const WINDOW_MS = 15 * 60_000;
/** The failures allowed before attempts for the account are spaced out. */
const FREE_FAILURES = 5;
/** The longest wait between attempts, so nobody can shut an account out for longer. */
const MAX_DELAY_MS = 15 * 60_000;
/**
 * How long the count is kept past the wait once the wait reaches its cap: sustained guessing
 * stays at one attempt per MAX_DELAY_MS (four an hour) instead of earning 5 free failures again
 * by pausing. (The count lasted max(WINDOW_MS, wait): at the cap both are 15 minutes, so it was
 * gone the moment the next turn came, and a pause of 15 minutes at any point also reset it:
 * some forty guesses an hour.) A success still resets it at once.
 */
const CAP_HOLD_MS = 24 * 3600_000;
/** Redis slower than this (down, reconnecting) does not hold sign-ins up: see fallback(). */
const REDIS_TIMEOUT_MS = 1000;

const TURN = 'handoffLoginTurn';
// Redis's clock, so every API process agrees on "now".
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;
// One step, so that attempts arriving together cannot all read "no wait" before any of them
// has failed: an attempt that may go ahead is counted at once, as if it will fail (a success
// deletes the count). From the FREE_FAILURES-th on, it also sets when the next may come: 1 s
// later, then 2 s, 4 s … up to the cap. Returns the wait left (0: this attempt goes ahead).
const TURN_LUA = `${NOW}
local nextAt = tonumber(redis.call('HGET', KEYS[1], 'next') or '0')
if nextAt > now then return nextAt - now end
local n = redis.call('HINCRBY', KEYS[1], 'count', 1)
local delay = 0
if n >= tonumber(ARGV[2]) then
  delay = math.min(1000 * 2 ^ (n - tonumber(ARGV[2])), tonumber(ARGV[3]))
  redis.call('HSET', KEYS[1], 'next', now + delay)
end
-- Kept a window past the wait (a pause the length of the wait no longer wipes the count),
-- and a day past it at the cap (CAP_HOLD_MS).
local hold = tonumber(ARGV[1])
if delay >= tonumber(ARGV[3]) then hold = tonumber(ARGV[4]) end
redis.call('PEXPIRE', KEYS[1], delay + hold)
return 0`;

/**
 * Slows down password guessing against one account, whatever addresses the guesses come from
 * (the per-address limit cannot see a botnet): after 5 failed sign-ins within 15 minutes, each
 * further attempt must wait 1 s, 2 s, 4 s … (at most 15 minutes) after the last failure; a
 * success resets it. Attempts that come too early are refused before the password is checked,
 * so they cost no hashing; a burst sent at once gets no more checks than attempts spread out.
 * Unknown emails count the same way (no hint of which exist).
 */
@Injectable()
export class LoginSlowdown {
  private readonly defined = new WeakSet<object>();
  private readonly log = new Logger(LoginSlowdown.name);

  constructor(private readonly queues: QueuesService) {}

  /**
   * Takes this account's next attempt: 0 when it may go ahead (counted already as a failure
   * until `succeeded`), else the milliseconds it must still wait. `device`: a browser that
   * signed in to the account before (LoginDevices) takes its own turns, apart from everyone
   * else's, so strangers' guesses do not keep it waiting (and its own failures slow only it).
   */
  takeTurn(email: string, device: string | null = null): Promise<number> {
    return this.fallback(0, async () => {
      const { redis, key } = await this.target(email, device);
      return Number(
        await redis.runCommand(TURN, [key, WINDOW_MS, FREE_FAILURES, MAX_DELAY_MS, CAP_HOLD_MS]),
      );
    });
  }

  /**
   * Resets the count the attempt was taken from: a known browser's own, which leaves the
   * strangers' count as it is (the owner signing in gives guessers no fresh free failures).
   */
  succeeded(email: string, device: string | null = null): Promise<void> {
    return this.fallback(undefined, async () => {
      const { redis, key } = await this.target(email, device);
      await redis.del(key);
    });
  }

  /**
   * Fails open, like the request limits: with Redis unreachable, sign-ins go on without the
   * slowdown (argon2 still caps guessing at tens a second) rather than all failing.
   */
  private async fallback<T>(otherwise: T, work: () => Promise<T>): Promise<T> {
    const redis = await this.queues.get('default').client;
    // Known down (reconnecting): skip at once rather than wait for the timeout on each sign-in.
    if (redis.status !== 'ready') return otherwise;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('Redis timed out')), REDIS_TIMEOUT_MS);
    });
    try {
      return await Promise.race([work(), timeout]);
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'sign-in slowdown skipped: Redis unreachable');
      return otherwise;
    } finally {
      clearTimeout(timer);
    }
  }

  private async target(email: string, device: string | null) {
    const queue = this.queues.get('default');
    const redis = await queue.client;
    if (!this.defined.has(redis)) {
      redis.defineCommand(TURN, { numberOfKeys: 1, lua: TURN_LUA });
      this.defined.add(redis);
    }
    // Hashed: the key names no email.
    const account = accountOf(email);
    const key = device ? `login-failures:${account}:${device}` : `login-failures:${account}`;
    return { redis, key: queue.toKey(key) };
  }
}

/** RATE_LIMITED for an account whose next attempt must wait `waitMs` (LoginSlowdown.takeTurn). */
export function slowedDown(waitMs: number): DomainError {
  const retryAfterSeconds = Math.ceil(waitMs / 1000);
  return new DomainError(
    'RATE_LIMITED',
    `Too many sign-ins to this account failed or are under way: try again in ${retryAfterSeconds} s`,
    { retryAfterSeconds },
  );
}
