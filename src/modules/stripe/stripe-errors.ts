import { randomUUID } from 'node:crypto';
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

/**
 * Stripe will not show us this connected account: it left our platform, or was deleted, or the
 * key is of another platform or mode (a misconfiguration answers the same 403). So it proves
 * nothing about the account by itself.
 */
export const accountUnreadable = (e: unknown): boolean =>
  e instanceof Stripe.errors.StripeError &&
  (e.code === 'account_invalid' || (e.statusCode === 404 && e.code === 'resource_missing'));

/** Stripe's answer is one it saved earlier under the key (not the call's own). */
export const wasReplayed = (e: Stripe.errors.StripeError): boolean =>
  (e.headers as Record<string, string | undefined> | undefined)?.['idempotent-replayed'] === 'true';

/** Stripe prunes idempotency keys at least 24 h old; an hour's margin past that. */
export const KEY_EXPIRY_MS = 25 * 3_600_000;
/**
 * From when Stripe may have forgotten a key: it keeps them at least 24 h; an hour to spare the
 * other way (a payout line first sent this long after its key was fixed looks for its transfer
 * first).
 */
export const KEY_MAY_BE_FORGOTTEN_MS = 23 * 3_600_000;

/**
 * Creates an object that moves no money (a customer, a connected account) under `key`; when
 * Stripe saved a server error under it, which it would replay for a day and so block the user
 * that long, once more under a key of this attempt. If the failed call made one, it stays
 * unused at Stripe: callers store the first object that answered.
 */
export async function createHarmlessOnce<T>(
  key: string,
  create: (idempotencyKey: string) => Promise<T>,
): Promise<T> {
  try {
    return await create(key);
  } catch (e) {
    if (!savedServerError(e)) throw e;
    return create(`${key}-${randomUUID()}`);
  }
}
