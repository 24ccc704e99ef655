/**
 * Metadata set by @Idempotent() (src/modules/idempotency/idempotent.decorator.ts): 'optional',
 * or 'required' on a route where a retry without a key could do it twice.
 */
export const IDEMPOTENT_KEY = 'handoff:idempotent';
export type IdempotentMode = 'optional' | 'required';
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** On an answer replayed from a stored one (Stripe's name for it). */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';
