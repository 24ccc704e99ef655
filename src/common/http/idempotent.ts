import { SetMetadata } from '@nestjs/common';

export const IDEMPOTENT_KEY = 'handoff:idempotent';
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** On an answer replayed from a stored one (Stripe's name for it). */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';

/**
 * Marks a POST that creates something: it accepts an Idempotency-Key header with Stripe's
 * semantics (see the idempotency module). The OpenAPI document reads the same metadata to
 * declare the header and its 409 codes.
 */
export const Idempotent = () => SetMetadata(IDEMPOTENT_KEY, true);
