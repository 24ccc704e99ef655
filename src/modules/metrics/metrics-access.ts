import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Who may scrape: `absent` when no METRICS_TOKEN is configured (the endpoint answers 404, as if
 * it did not exist), `refused` without `Authorization: Bearer <METRICS_TOKEN>`, else `allowed`.
 * Compared in constant time over SHA-256 digests, so neither the token's content nor its
 * length leaks through timing.
 */
export function metricsAccess(
  token: string | undefined,
  authorization: string | undefined,
): 'absent' | 'refused' | 'allowed' {
  if (!token) return 'absent';
  const given = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
  if (given === undefined) return 'refused';
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(token)) ? 'allowed' : 'refused';
}

/** What a refused scraper is told it needs (RFC 6750). */
export const METRICS_CHALLENGE = 'Bearer realm="metrics"';
