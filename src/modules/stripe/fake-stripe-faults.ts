import type { FakeStripeCall } from './fake-stripe-calls';

/* Stripe misbehaving as a test asks (retries, timeouts and pacing are tested against it): slow
 * answers, its rate limit, a given call refused before its endpoint, a share of money-moving
 * calls failed or hung. Applied to API calls before the idempotency layer, since Stripe saves
 * none of these errors under a key. */

export interface FaultPolicy {
  /** Share of money-moving POSTs (0–1) answered with an error instead of being processed. */
  rate: number;
  statuses?: number[];
  /** Hang this long instead (ms) on a faulted call, to exercise client timeouts. */
  hangMs?: number;
  /** Delay every call by this long (ms): a slow Stripe, without failing. */
  latencyMs?: number;
}

/** A call answered with an error before its endpoint (FakeStripe.failingBefore). */
export interface FailingBefore {
  method: string;
  path: string | RegExp;
  status: number;
  /** Only a call with this parameter (a list filtered by `destination`). */
  withParam?: string;
  /** Every such call, not only the next: a refusal Stripe would make again each time. */
  forGood?: boolean;
}

/** What tests set on FakeStripe (its public fields), read again on every call. */
export interface FaultSettings {
  readonly faults: FaultPolicy;
  readonly rateLimitPerSecond: number | null;
  readonly failingBefore: FailingBefore[];
}

export class FakeStripeFaults {
  private recentCalls: number[] = [];
  /** Injected faults so far: their statuses take turns, so a drill meets every one it lists. */
  private injected = 0;

  constructor(private readonly settings: FaultSettings) {}

  /**
   * Delays the call as set, then answers it with an error when Stripe would: true when it did
   * (or hung until its caller left), false when the endpoint is to answer.
   */
  async refused(call: FakeStripeCall): Promise<boolean> {
    // Read at each step: a test may change them while a call waits.
    const knobs = this.settings;
    const { send } = call;
    if (knobs.faults.latencyMs) await new Promise((r) => setTimeout(r, knobs.faults.latencyMs));
    if (knobs.rateLimitPerSecond !== null && call.path.startsWith('/v1/')) {
      const now = Date.now();
      this.recentCalls = this.recentCalls.filter((t) => t > now - 1000);
      if (this.recentCalls.length >= knobs.rateLimitPerSecond) {
        send(429, {
          error: {
            type: 'rate_limit_error',
            message: 'Too many requests hit the API too quickly.',
          },
        });
        return true;
      }
      this.recentCalls.push(now);
    }
    const before = knobs.failingBefore.findIndex(
      (f) =>
        f.method === call.method &&
        (typeof f.path === 'string' ? f.path === call.path : f.path.test(call.path)) &&
        (f.withParam === undefined || call.params[f.withParam] !== undefined),
    );
    if (before >= 0) {
      const { status, forGood } = knobs.failingBefore[before];
      if (!forGood) knobs.failingBefore.splice(before, 1);
      const type =
        status === 429 ? 'rate_limit_error' : status >= 500 ? 'api_error' : 'invalid_request_error';
      send(status, { error: { type, message: `Injected ${status}` } });
      return true;
    }
    if (call.method === 'POST' && knobs.faults.rate > 0 && Math.random() < knobs.faults.rate) {
      if (knobs.faults.hangMs) {
        await new Promise((r) => setTimeout(r, knobs.faults.hangMs));
        if (call.res.destroyed) return true;
      }
      const statuses = knobs.faults.statuses ?? [429, 500];
      const status = statuses[this.injected++ % statuses.length];
      send(status, {
        error: {
          type: status === 429 ? 'rate_limit_error' : 'api_error',
          message: 'Injected fault',
        },
      });
      return true;
    }
    return false;
  }
}
