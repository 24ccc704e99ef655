import { createHash } from 'node:crypto';
import type { Answer } from './fake-stripe-billing';
import type { FakeStripeCall } from './fake-stripe-calls';

/* Idempotency-Key as Stripe honours it: the same key with the same parameters gets the first
 * answer again, with other parameters a 400 idempotency_error; and a call that fails inside
 * Stripe (once its endpoint has begun) is saved under its key like any other answer. */

export class FakeStripeIdempotency {
  /** Each key's first answer, beside a hash of the path and body it came with. */
  readonly answers = new Map<string, { hash: string; status: number; body: unknown }>();

  constructor(
    /** FakeStripe.failingAfterExecution: one entry per call to fail inside Stripe. */
    private readonly failingAfterExecution: { path: string | RegExp; created: boolean }[],
  ) {}

  /** Stripe prunes keys at least 24 h old: a key sent again after that is a new request. */
  expire(): void {
    this.answers.clear();
  }

  /** Answers a POST that has an Idempotency-Key; `route` is the endpoint. */
  answer(call: FakeStripeCall, key: string, route: () => Answer): void {
    const { send, res } = call;
    const hash = createHash('sha256').update(`${call.path} ${call.body}`).digest('hex');
    const seen = this.answers.get(key);
    if (seen && seen.hash !== hash) {
      send(400, {
        error: {
          type: 'idempotency_error',
          message:
            'Keys for idempotent requests can only be used with the same parameters they were first used with.',
        },
      });
      return;
    }
    if (seen) {
      call.record(299);
      res.writeHead(seen.status, {
        'Content-Type': 'application/json',
        'Idempotent-Replayed': 'true',
        ...(seen.status >= 500 ? { 'Stripe-Should-Retry': 'false' } : {}),
      });
      res.end(JSON.stringify(seen.body));
      return;
    }
    const failing = this.failingAfterExecution.findIndex((f) =>
      typeof f.path === 'string' ? f.path === call.path : f.path.test(call.path),
    );
    if (failing >= 0) {
      const [{ created }] = this.failingAfterExecution.splice(failing, 1);
      if (created) route();
      const body = { error: { type: 'api_error', message: 'An unknown error occurred' } };
      this.answers.set(key, { hash, status: 500, body });
      send(500, body, { 'Stripe-Should-Retry': 'false' });
      return;
    }
    const [status, payload] = route();
    // Stripe saves every answer once the endpoint has begun, errors included (a 500 raised
    // inside it: failingAfterExecution); it does not save its rate limiter's 429s.
    if (status !== 429) this.answers.set(key, { hash, status, body: payload });
    send(status, payload);
  }
}
