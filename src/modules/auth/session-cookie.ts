import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../common/errors/domain-error';

/** The console's refresh-token cookie: httpOnly, SameSite=Strict, sent to /v1/auth only. */
export const SESSION_COOKIE = 'handoff_session';
export const SESSION_COOKIE_PATH = '/v1/auth';
/**
 * The header every console session call carries. A cross-site form or link cannot set a custom
 * header, and a cross-site script that tries must pass a CORS preflight this API refuses to
 * origins outside CORS_ORIGINS: together with SameSite=Strict, no other site can make the
 * browser spend or end the session (docs/adr/0013-console-sessions.md).
 */
export const CONSOLE_HEADER = 'x-handoff-console';

export function requireConsoleHeader(req: FastifyRequest): void {
  if (req.headers[CONSOLE_HEADER] !== '1') {
    throw DomainError.validation([
      {
        field: 'X-Handoff-Console',
        messages: ['X-Handoff-Console: 1 is required on session calls'],
      },
    ]);
  }
}

/** The session cookie's refresh token, if the browser sent one (@fastify/cookie parses it). */
export function presentedToken(req: FastifyRequest): string | undefined {
  return req.cookies[SESSION_COOKIE] || undefined;
}

export function setSessionCookie(
  res: FastifyReply,
  token: string,
  o: { secure: boolean; maxAgeDays: number },
): void {
  setAuthCookie(res, SESSION_COOKIE, token, o);
}

/** A cookie only /v1/auth gets: httpOnly, SameSite=Strict, Secure over https. */
function setAuthCookie(
  res: FastifyReply,
  name: string,
  value: string,
  o: { secure: boolean; maxAgeDays: number },
): void {
  res.setCookie(name, value, {
    httpOnly: true,
    sameSite: 'strict',
    secure: o.secure,
    path: SESSION_COOKIE_PATH,
    maxAge: o.maxAgeDays * 86_400, // seconds (Max-Age)
  });
}

export function clearSessionCookie(res: FastifyReply, secure: boolean): void {
  res.clearCookie(SESSION_COOKIE, {
    httpOnly: true,
    sameSite: 'strict',
    secure,
    path: SESSION_COOKIE_PATH,
  });
}

/**
 * A browser's proof that it signed in to an account before (LoginDevices), one cookie per
 * account (its name from LoginDevices.cookieName): its sign-ins take their own turns in the
 * per-account slowdown. httpOnly, SameSite=Strict, sent to /v1/auth only, kept across sign-outs
 * (it opens no session).
 */
export function presentedDevice(req: FastifyRequest, name: string): string | undefined {
  return req.cookies[name] || undefined;
}

export function setDeviceCookie(
  res: FastifyReply,
  name: string,
  token: string,
  o: { secure: boolean; maxAgeDays: number },
): void {
  setAuthCookie(res, name, token, o);
}
