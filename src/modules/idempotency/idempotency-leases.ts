import type { Lease } from './idempotency-keys.service';

/**
 * The key each running request holds, from the guard that took it to the onSend hook that
 * settles it. Keyed by Fastify's request object, which both see; weak, so a request that never
 * reaches onSend leaves nothing behind.
 */
const held = new WeakMap<object, Lease>();

export function holdLease(request: object, lease: Lease): void {
  held.set(request, lease);
}

/** The request's lease, handed over once: a second call finds nothing. */
export function takeLease(request: object): Lease | undefined {
  const lease = held.get(request);
  if (lease !== undefined) held.delete(request);
  return lease;
}
