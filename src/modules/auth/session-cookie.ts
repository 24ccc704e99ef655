import type { UserDto } from '../users/user.dto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../common/errors/domain-error';

/**
 * The console's refresh-token cookie: httpOnly, SameSite=Strict. Over https it is
 * `__Host-handoff_session` at Path=/: the browser takes a cookie of that name only from this
 * very host, Secure and without a Domain, so a sibling subdomain (a compromised blog on the same
 * parent domain) cannot plant its own login's token in the console, which, sent before ours (a
 * longer Path wins), signed the user in to the attacker's account. The prefix requires Path=/,
 * so the token now rides along on every request to this origin; only the session routes read
 * it, and logs redact the Cookie header (ADR 0013). Over http, where browsers refuse the
 * prefix (a development server), it stays `handoff_session` at Path=/v1/auth.
 */
export interface SessionCookie {
  name: string;
  path: string;
  secure: boolean;
}

export const sessionCookie = (secure: boolean): SessionCookie =>
  secure
    ? { name: '__Host-handoff_session', path: '/', secure }
    : { name: 'handoff_session', path: '/v1/auth', secure };

/**
 * The cookie as it was before the prefix, which browsers signed in then still hold over https:
 * never read there (a subdomain could set it), only cleared. Their users sign in once more.
 */
const UNPREFIXED = sessionCookie(false);
export const SESSION_COOKIE_PATH = UNPREFIXED.path;

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
export function presentedToken(req: FastifyRequest, cookie: SessionCookie): string | undefined {
  return req.cookies[cookie.name] || undefined;
}

export function setSessionCookie(
  req: FastifyRequest,
  res: FastifyReply,
  token: string,
  o: { cookie: SessionCookie; maxAgeDays: number },
): void {
  dropUnprefixed(req, res, o.cookie);
  res.setCookie(o.cookie.name, token, {
    ...attributes(o.cookie),
    maxAge: o.maxAgeDays * 86_400, // seconds (Max-Age)
  });
}

/**
 * A console session's answer: the refresh token into the cookie, the access token and the user
 * in the body (SessionDto's shape).
 */
export function sessionAnswer(
  req: FastifyRequest,
  res: FastifyReply,
  issued: {
    tokens: { refreshToken: string; accessToken: string; expiresIn: number; tokenType: 'Bearer' };
    user: UserDto;
  },
  o: { cookie: SessionCookie; maxAgeDays: number },
): { accessToken: string; expiresIn: number; tokenType: 'Bearer'; user: UserDto } {
  setSessionCookie(req, res, issued.tokens.refreshToken, o);
  const { accessToken, expiresIn, tokenType } = issued.tokens;
  return { accessToken, expiresIn, tokenType, user: issued.user };
}

export function clearSessionCookie(
  req: FastifyRequest,
  res: FastifyReply,
  cookie: SessionCookie,
): void {
  dropUnprefixed(req, res, cookie);
  res.clearCookie(cookie.name, attributes(cookie));
}

const attributes = (cookie: SessionCookie) => ({
  httpOnly: true,
  sameSite: 'strict' as const,
  secure: cookie.secure,
  path: cookie.path,
});

/** Over https, clears a cookie of the old name the browser still sent: it would only linger. */
export function dropUnprefixed(
  req: FastifyRequest,
  res: FastifyReply,
  cookie: SessionCookie,
): void {
  if (cookie.name !== UNPREFIXED.name && req.cookies[UNPREFIXED.name] !== undefined) {
    res.clearCookie(UNPREFIXED.name, attributes({ ...UNPREFIXED, secure: cookie.secure }));
  }
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
  // Not prefixed: it opens no session, and one planted by a subdomain is worth nothing (it is
  // signed for the account it names, LoginDevices), so it keeps the narrower path.
  res.setCookie(name, token, {
    ...attributes({ name, path: SESSION_COOKIE_PATH, secure: o.secure }),
    maxAge: o.maxAgeDays * 86_400, // seconds (Max-Age)
  });
}
