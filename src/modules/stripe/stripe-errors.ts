import Stripe from 'stripe';

/**
 * A server error Stripe saved under the call's idempotency key (its endpoint had begun): it
 * replays it to every retry of that key, with `Stripe-Should-Retry: false`, until it prunes the
 * key after 24 h, and whether the call did its work is unknown. A 5xx Stripe did not save (a
 * load balancer's, say) carries no such header and is worth retrying.
 */
export function savedServerError(e: unknown): e is Stripe.errors.StripeError {
  if (!(e instanceof Stripe.errors.StripeError) || (e.statusCode ?? 0) < 500) return false;
  const headers = (e.headers ?? {}) as Record<string, string | undefined>;
  return headers['stripe-should-retry'] === 'false' || headers['idempotent-replayed'] === 'true';
}

/** Stripe prunes idempotency keys at least 24 h old; an hour's margin past that. */
export const KEY_EXPIRY_MS = 25 * 3_600_000;
