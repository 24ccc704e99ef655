import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Actor } from '../auth/actor';

const ERROR_CODE = Symbol('handoff.errorCode');

/** Who made a request, as its log line names them. */
export type LoggedCaller =
  | { role: Exclude<Actor['role'], 'bot'>; userId: string; companyId: string | null }
  | { role: 'bot'; apiKeyId: string; companyId: string };

/** Called by the exception filter, so the request's log line can carry the code it answered. */
export function noteErrorCode(res: object, code: string): void {
  (res as Record<symbol, unknown>)[ERROR_CODE] = code;
}

export function errorCodeOf(res: object): string | undefined {
  const code = (res as Record<symbol, unknown>)[ERROR_CODE];
  return typeof code === 'string' ? code : undefined;
}

/**
 * The caller the authentication guard put on req.user (absent on public routes and refused
 * credentials). Only ids and the role: never a token, a key or an email.
 */
export function callerOf(req: IncomingMessage): LoggedCaller | undefined {
  const actor = (req as IncomingMessage & { user?: Actor }).user;
  if (typeof actor !== 'object' || actor === null) return undefined;
  if (actor.kind === 'bot') {
    return { role: 'bot', apiKeyId: actor.apiKeyId, companyId: actor.companyId };
  }
  if (actor.kind === 'user') {
    return { role: actor.role, userId: actor.userId, companyId: actor.companyId };
  }
  return undefined;
}

/**
 * A 4xx is the caller's mistake and part of normal traffic (expired tokens, validation, lost
 * races): info, with its error code to search by. Only what we failed at is an error.
 */
export function requestLogLevel(
  _req: IncomingMessage,
  res: ServerResponse,
  err?: Error,
): 'info' | 'error' {
  return err || res.statusCode >= 500 ? 'error' : 'info';
}

/** Adds the caller and the error code to pino-http's line for a finished request. */
export function withRequestContext<T extends object>(
  req: IncomingMessage,
  res: ServerResponse,
  fields: T,
): T & { caller?: LoggedCaller; errorCode?: string } {
  const caller = callerOf(req);
  const errorCode = errorCodeOf(res);
  return {
    ...fields,
    ...(caller ? { caller } : {}),
    ...(errorCode ? { errorCode } : {}),
  };
}

/**
 * pino-http's line for a 5xx. When nothing was thrown past the filter, pino-http makes up an
 * Error("failed with status code 500") whose stack only points into pino-http: dropped, since
 * the filter has already logged the real error (context "Errors", same request id).
 */
export function withRequestErrorContext<T extends { err?: unknown }>(
  req: IncomingMessage,
  res: ServerResponse,
  err: Error,
  fields: T,
): Partial<T> & { caller?: LoggedCaller; errorCode?: string } {
  if (err?.message === `failed with status code ${res.statusCode}`) {
    const rest: Partial<T> = { ...fields };
    delete rest.err;
    return withRequestContext(req, res, rest);
  }
  return withRequestContext(req, res, fields);
}
