import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'X-Request-Id';
const ACCEPTABLE = /^[A-Za-z0-9._:-]{8,64}$/;

/**
 * Reuses a caller's X-Request-Id when it is a sane token (so a bot can correlate its own logs),
 * otherwise mints one; either way it is echoed back (configure-http-app.ts) and appears in every
 * log line and error.
 */
export function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && ACCEPTABLE.test(incoming) ? incoming : randomUUID();
}
