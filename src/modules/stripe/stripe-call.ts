import Stripe from 'stripe';
import { DomainError } from '../../common/errors/domain-error';

/**
 * A Stripe call made for a user's request: Stripe refusing is a 409 with its reason (a retry
 * with the same idempotency key would only replay it); Stripe down or slow is a 503 (try
 * again). Never a 500.
 */
export async function callStripe<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof Stripe.errors.StripeInvalidRequestError) {
      throw new DomainError('CONFLICT', `Stripe refused: ${e.message}`, {
        stripeCode: e.code ?? null,
      });
    }
    throw new DomainError('SERVICE_UNAVAILABLE', 'Stripe could not be reached; try again shortly', {
      stripe: (e as Error).message,
    });
  }
}
