import { createHash } from 'node:crypto';
import type { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { IDEMPOTENCY_KEY_HEADER } from '../../common/http/idempotent';

/** Stripe's limit; keys are opaque and case-sensitive (a UUID v4 is what we suggest). */
export const MAX_KEY_LENGTH = 255;
/** Visible ASCII and inner spaces: a key is echoed in errors and logs, so no control bytes. */
const PRINTABLE = /^[\x20-\x7E]+$/;

/** Set on an answer that was replayed from a stored one (Stripe's header name). */

/**
 * The caller's Idempotency-Key, undefined when absent; a present but unusable one (empty, too
 * long, non-printable) is a 400 naming the header, never silently ignored.
 */
export function readIdempotencyKey(
  headers: Record<string, string | string[] | undefined>,
): string | undefined {
  const raw = headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()];
  if (raw === undefined) return undefined;
  const key = Array.isArray(raw) ? raw.join(', ') : raw;
  const problem =
    key.trim() === ''
      ? 'must not be empty'
      : key.length > MAX_KEY_LENGTH
        ? `must be at most ${MAX_KEY_LENGTH} characters`
        : !PRINTABLE.test(key)
          ? 'must contain printable ASCII characters only'
          : null;
  if (problem === null) return key;
  throw DomainError.validation([
    { field: IDEMPOTENCY_KEY_HEADER, messages: [`${IDEMPOTENCY_KEY_HEADER} ${problem}`] },
  ]);
}

/**
 * Whose keys these are. A person's keys are their own (two admins of one company never share
 * one); a bot's belong to its company, as Stripe scopes keys to the account, not to the secret:
 * a retry still matches after the company rotated its API key.
 */
export function idempotencyScope(actor: Actor): string {
  return actor.kind === 'bot' ? `company:${actor.companyId}` : `user:${actor.userId}`;
}

/** What a key is bound to: the route (method, template, its path) and the request's content. */
export interface RequestFingerprint {
  method: string;
  /** The route template, e.g. `/v1/shifts/:id/claims`. */
  route: string;
  /**
   * The path with its ids, without the query, its fixed words spelled as the route is: the
   * router takes them in any case and a trailing slash (configure-http-app.ts), so a retry
   * spelled otherwise (`/V1/Shifts/…/cancel/`) is the same request. Ids as sent (decoded, then
   * encoded): a bot's external id is case-sensitive, and whether an id is a UUID is only known
   * to the pipes, after this.
   */
  path: string;
  /** SHA-256 of the canonical JSON of the query and the body. */
  requestHash: string;
}

export function fingerprintOf(req: {
  method: string;
  url: string;
  routeOptions?: { url?: string };
  query?: unknown;
  body?: unknown;
}): RequestFingerprint {
  const q = req.url.indexOf('?');
  const sent = q === -1 ? req.url : req.url.slice(0, q);
  const route = req.routeOptions?.url;
  const content = canonicalJson({ query: req.query ?? {}, body: req.body ?? null });
  return {
    method: req.method,
    route: route ?? sent,
    path: route ? canonicalPath(route, sent) : sent,
    requestHash: createHash('sha256').update(content).digest('hex'),
  };
}

/**
 * The path as the route spells it, with the ids sent (see RequestFingerprint.path). Also read
 * over a stored row's path: rows stored before paths were spelled so hold the path as sent.
 */
function canonicalPath(route: string, sent: string): string {
  const template = route.split('/');
  const parts = sent.replace(/\/+$/, '').split('/');
  if (parts.length !== template.length) return sent;
  return template.map((part, i) => (part.startsWith(':') ? idOf(parts[i]) : part)).join('/');
}

function idOf(sent: string): string {
  try {
    return encodeURIComponent(decodeURIComponent(sent));
  } catch {
    return sent;
  }
}

/**
 * JSON with object keys sorted at every depth: `{"a":1,"b":2}` and `{"b":2,"a":1}` are the same
 * request (a client library may order keys differently on a retry); array order still counts.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(source).sort()) out[k] = sortKeys(source[k]);
  return out;
}

/** Which part of a stored fingerprint the new request contradicts, or null when it matches. */
export function mismatchOf(
  stored: RequestFingerprint,
  now: RequestFingerprint,
): 'route' | 'body' | null {
  const samePath = canonicalPath(stored.route, stored.path) === canonicalPath(now.route, now.path);
  if (stored.method !== now.method || stored.route !== now.route || !samePath) return 'route';
  return stored.requestHash === now.requestHash ? null : 'body';
}
