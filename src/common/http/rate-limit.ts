import { SetMetadata } from '@nestjs/common';

/**
 * Which limit counts a route's calls (RateLimitGuard): `auth` per client address (sign-in, sign-up,
 * refresh), `intake` per API key (escalations), `redeliver` per company. Without it, a write
 * (POST, PUT, PATCH, DELETE) by a signed-in caller counts toward `writes`, and a read (GET)
 * toward `reads`, per user or key. Every call with an API key also counts toward
 * `companyKeys`, per company (all its keys together).
 */
export type RateLimitKind = 'auth' | 'intake' | 'redeliver' | 'writes' | 'reads' | 'companyKeys';
export const RATE_LIMIT_KEY = 'handoff:rateLimit';
export const RateLimit = (kind: Exclude<RateLimitKind, 'writes' | 'reads' | 'companyKeys'>) =>
  SetMetadata(RATE_LIMIT_KEY, kind);
