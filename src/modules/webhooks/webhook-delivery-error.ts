/**
 * Why an attempt failed, as the delivery log shows it: `lastErrorKind` for programs (stable,
 * like error codes) and `lastError` for people. The kinds are also a CHECK on
 * webhook_deliveries.last_error_kind (migration WebhookDeliveryLog).
 */
export const DELIVERY_ERROR_KINDS = [
  /** Nothing listens on the host and port (ECONNREFUSED). */
  'connection_refused',
  /** The connection was closed or reset before an answer came. */
  'connection_reset',
  /** No route to the host or network. */
  'unreachable',
  /** No answer (status line and headers) within WEBHOOK_TIMEOUT_MS. */
  'timeout',
  /** The certificate was refused (expired, self-signed, wrong name…) or the handshake failed. */
  'tls',
  /** The name does not resolve (not found, no address, resolver failure or timeout). */
  'dns',
  /** The receiver answered with a status other than 2xx or 3xx. */
  'http_status',
  /** The receiver answered 3xx: redirects are not followed. */
  'redirect',
  /** The URL or the address its name resolves to is not allowed (WebhookTargetPolicy). */
  'refused_by_policy',
  /** The company removed its webhook. */
  'endpoint_removed',
  /** The stored signing secret could not be decrypted (a lost SECRETS_ENCRYPTION_KEY). */
  'secret_unreadable',
  /** Any other network error. */
  'network',
  /**
   * The delivery stopped with its last attempt unrecorded (that write failed, or its worker kept
   * dying): the receiver may or may not have it. Set by the sweep, never by an attempt.
   */
  'outcome_unknown',
] as const;
export type DeliveryErrorKind = (typeof DELIVERY_ERROR_KINDS)[number];

export interface DeliveryFailure {
  kind: DeliveryErrorKind;
  message: string;
}

/** The receiver did not answer in time (headers not received within the timeout). */
export class WebhookTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

/** The request ended with neither an answer nor an error of its own. */
export class ClosedWithoutAnswerError extends Error {
  readonly code = 'ECONNRESET';
  constructor() {
    super('the connection closed before an answer');
    this.name = 'ClosedWithoutAnswerError';
  }
}

/** The target's name could not be turned into an address. */
export class WebhookDnsError extends Error {
  constructor(
    readonly host: string,
    cause: unknown,
  ) {
    super(`DNS: ${dnsProblem(host, cause)}`, { cause });
    this.name = 'WebhookDnsError';
  }
}

// Node's (OpenSSL's) codes for a certificate the client refused.
const CERTIFICATE_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const codeOf = (e: unknown): string | undefined =>
  e && typeof e === 'object' && 'code' in e && typeof e.code === 'string' ? e.code : undefined;

// Not `instanceof Error`: errors made in another realm (a vm context, a worker) are not.
const messageOf = (e: unknown): string =>
  e && typeof e === 'object' && 'message' in e && typeof e.message === 'string'
    ? e.message
    : String(e);

function dnsProblem(host: string, cause: unknown): string {
  const code = codeOf(cause);
  if (code === 'ENOTFOUND') return `${host} not found (${code})`;
  if (code === 'ENODATA') return `${host} has no address (${code})`;
  // EAI_AGAIN is getaddrinfo's; our c-ares resolver (webhook-resolver.ts) says ESERVFAIL (the
  // name server failed), EREFUSED (it refused the query) or ECONNREFUSED (no name server could
  // be reached) instead.
  if (['EAI_AGAIN', 'ESERVFAIL', 'EREFUSED', 'ECONNREFUSED'].includes(code ?? '')) {
    return `looking up ${host} failed for now (${code})`;
  }
  if (code === 'ETIMEOUT') return `looking up ${host} timed out (${code})`;
  return `looking up ${host} failed: ${messageOf(cause)}`;
}

/** `host:port` as the URL names it (never the address our resolver answered). */
export function targetOf(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

/** A non-2xx answer, or null for a 2xx. */
export function statusFailure(status: number): DeliveryFailure | null {
  if (status >= 200 && status < 300) return null;
  if (status >= 300 && status < 400) {
    return { kind: 'redirect', message: `receiver answered ${status}; redirects are not followed` };
  }
  return { kind: 'http_status', message: `receiver answered ${status}` };
}

/** The OpenSSL reason inside an error such as "…:SSL routines:ssl3_get_record:wrong version number:…". */
function opensslReason(message: string): string | null {
  return /error:[0-9A-F]+:[^:]*:[^:]*:([^:]+)/.exec(message)?.[1] ?? null;
}

/**
 * What went wrong with one POST, named precisely: the error of Node's http(s) client, of our
 * resolver (WebhookDnsError) or our timer (WebhookTimeoutError), never "fetch failed".
 */
export function describeNetworkError(e: unknown, url: URL): DeliveryFailure {
  const target = targetOf(url);
  if (e instanceof WebhookTimeoutError) {
    return {
      kind: 'timeout',
      message: `timeout after ${e.timeoutMs} ms: no answer from ${target}`,
    };
  }
  if (e instanceof WebhookDnsError) return { kind: 'dns', message: e.message };
  const code = codeOf(e);
  const message = messageOf(e);
  if (code === 'ECONNREFUSED') {
    return { kind: 'connection_refused', message: `connection refused by ${target}` };
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return {
      kind: 'connection_reset',
      message: `connection to ${target} closed before an answer (${code})`,
    };
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT') {
    return { kind: 'unreachable', message: `${target} unreachable (${code})` };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return {
      kind: 'tls',
      message: `TLS: the certificate of ${target} is not valid for ${url.hostname} (${code})`,
    };
  }
  if (code && CERTIFICATE_CODES.has(code)) {
    return { kind: 'tls', message: `TLS: certificate of ${target} refused: ${message} (${code})` };
  }
  if (code === 'EPROTO' || code?.startsWith('ERR_SSL_') || code?.startsWith('ERR_TLS_')) {
    const reason = opensslReason(message) ?? message;
    return { kind: 'tls', message: `TLS: handshake with ${target} failed: ${reason} (${code})` };
  }
  return {
    kind: 'network',
    message: `could not reach ${target}: ${message}${code && !message.includes(code) ? ` (${code})` : ''}`,
  };
}
