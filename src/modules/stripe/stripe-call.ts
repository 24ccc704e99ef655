import Stripe from 'stripe';
import { DomainError } from '../../common/errors/domain-error';

/**
 * A Stripe call made for a user's request: Stripe refusing (400, 403, 404) is a 409 with its reason (a retry
 * with the same idempotency key would only replay it); Stripe down or slow is a 503 (try
 * again). Never a 500.
 */
export async function callStripe<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    // A 403 is a refusal too (a connected account that left the platform answers
    // `account_invalid`): retrying shortly, as a 503 says, would meet it again every time.
    if (
      e instanceof Stripe.errors.StripeInvalidRequestError ||
      e instanceof Stripe.errors.StripePermissionError
    ) {
      const message =
        e.code === 'account_invalid'
          ? 'Stripe will not let us reach this account: it was disconnected from the platform or deleted'
          : `Stripe refused: ${e.message}`;
      throw new DomainError('CONFLICT', message, { stripeCode: e.code ?? null });
    }
    throw new DomainError('SERVICE_UNAVAILABLE', 'Stripe could not be reached; try again shortly', {
      stripe: (e as Error).message,
    });
  }
}
