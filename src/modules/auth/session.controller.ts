import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../common/auth/decorators';
import { DomainError } from '../../common/errors/domain-error';
import { ApiErrors } from '../../common/http/api-errors';
import { RateLimit } from '../../common/http/rate-limit';
import { Env } from '../../config/env.validation';
import { LoginDto, RegisterDto } from './auth.dto';
import { AuthService, Issued } from './auth.service';
import { DEVICE_DAYS, LoginDevices } from './login-devices.service';
import {
  clearSessionCookie,
  dropUnprefixed,
  presentedDevice,
  presentedToken,
  setDeviceCookie,
  requireConsoleHeader,
  sessionCookie,
  SessionCookie,
  sessionAnswer,
} from './session-cookie';
import { SessionDto } from './session.dto';
import { NoStore } from '../../common/http/no-store';

/** Answers that mean the cookie's token will never work again: the cookie is cleared. */
const REFUSED_TOKEN: ReadonlySet<string> = new Set([
  'INVALID_REFRESH_TOKEN',
  'REFRESH_TOKEN_REUSED',
]);

export const consoleHeader = ApiHeader({
  name: 'X-Handoff-Console',
  required: true,
  description: 'Always `1`: a header no other site can make a browser send (CSRF).',
  schema: { type: 'string', enum: ['1'] },
});

/** What the session routes set, for the OpenAPI text (api.md has the flow). */
export const SESSION_SET =
  '`__Host-handoff_session` over https (Secure, Path=/; `handoff_session` at Path=/v1/auth ' +
  'over http): the refresh token (HttpOnly, SameSite=Strict), rotated by each refresh and ' +
  'cleared by sign-out.';
const DEVICE_SET =
  '`handoff_device_<digest>`, one per account signed in to from this browser: it takes ' +
  'its own turns in the sign-in slowdown, so strangers guessing at the account do not slow ' +
  'it (HttpOnly, SameSite=Strict, Path=/v1/auth, a year; kept across sign-outs; ADR 0003).';
export const setCookie = (what: string) => ({
  'Set-Cookie': { description: what, schema: { type: 'string' } },
});

/**
 * The web console's sessions (ADR 0013): the same sign-up, sign-in, refresh and sign-out as
 * /v1/auth, but the refresh token lives in an httpOnly, SameSite=Strict cookie (over https
 * `__Host-` prefixed, so only this host can set it: session-cookie.ts), so the page's scripts
 * never hold it; the access token is answered for memory. Scripts and bots keep the bearer
 * routes.
 */
@ApiTags('auth')
@Controller('v1/auth/session')
@Public()
export class SessionController {
  private readonly secure: boolean;
  private readonly cookie: SessionCookie;
  private readonly maxAgeDays: number;

  constructor(
    private readonly auth: AuthService,
    private readonly devices: LoginDevices,
    config: ConfigService<Env, true>,
  ) {
    // Secure when served over https (PUBLIC_URL): a plain-http development server still works.
    this.secure = config.get('PUBLIC_URL', { infer: true }).startsWith('https:');
    this.cookie = sessionCookie(this.secure);
    this.maxAgeDays = config.get('REFRESH_TOKEN_TTL_DAYS', { infer: true });
  }

  /** Signs up (as /v1/auth/register) and starts a console session. */
  @Post('register')
  @NoStore()
  @RateLimit('auth')
  @consoleHeader
  @ApiOperation({ operationId: 'registerSession', summary: 'Sign up in the console' })
  @ApiCreatedResponse({
    type: SessionDto,
    description: "Signed up and in; sets the session cookie and this account's device cookie",
    headers: setCookie(`${SESSION_SET} ${DEVICE_SET}`),
  })
  @ApiErrors('EMAIL_TAKEN')
  async register(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
    @Body() body: RegisterDto,
  ): Promise<SessionDto> {
    requireConsoleHeader(req);
    const session = this.start(req, res, await this.auth.register(body));
    this.knowDevice(res, body.email, null);
    return session;
  }

  /**
   * Signs in (as /v1/auth/login) and starts a console session. A browser that has this
   * account's device cookie waits only for its own wrong passwords.
   */
  @Post('login')
  @NoStore()
  @HttpCode(200)
  @RateLimit('auth')
  @consoleHeader
  @ApiOperation({ operationId: 'loginSession', summary: 'Sign in to the console' })
  @ApiOkResponse({
    type: SessionDto,
    description: "Signed in; sets the session cookie and this account's device cookie",
    headers: setCookie(`${SESSION_SET} ${DEVICE_SET}`),
  })
  @ApiErrors('INVALID_CREDENTIALS')
  async login(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
    @Body() body: LoginDto,
  ): Promise<SessionDto> {
    requireConsoleHeader(req);
    // A browser that signed in to this account before takes its own turns in the slowdown.
    const name = this.devices.cookieName(body.email);
    const device = this.devices.deviceOf(presentedDevice(req, name), body.email);
    const session = this.start(req, res, await this.auth.login(body, device));
    this.knowDevice(res, body.email, device);
    return session;
  }

  /**
   * A new access token for the session in the cookie (on load, and before the last one
   * expires); the cookie's token is rotated. 401 when there is no live session; a refused
   * token also clears the cookie.
   */
  @Post('refresh')
  @NoStore()
  @HttpCode(200)
  @RateLimit('auth')
  @consoleHeader
  @ApiOperation({ operationId: 'refreshSession', summary: 'Refresh the console session' })
  @ApiOkResponse({
    type: SessionDto,
    description: 'A new access token; the session cookie rotated',
    headers: setCookie(SESSION_SET),
  })
  @ApiErrors('INVALID_REFRESH_TOKEN', 'REFRESH_TOKEN_REUSED')
  async refresh(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<SessionDto> {
    requireConsoleHeader(req);
    const token = presentedToken(req, this.cookie);
    if (!token) {
      // Over https, one of the old name may be all there is: cleared, as it is never read.
      dropUnprefixed(req, res, this.cookie);
      throw new DomainError('INVALID_REFRESH_TOKEN', 'No console session: sign in');
    }
    try {
      return this.start(req, res, await this.auth.refresh(token));
    } catch (e) {
      // A spent or revoked token is of no further use to the browser. Any other failure (the
      // database away for a moment: 503, a 500) says nothing of the login: the cookie stays
      // for the console's retry, which the reuse grace answers if the rotation had committed.
      if (e instanceof DomainError && REFUSED_TOKEN.has(e.code)) {
        clearSessionCookie(req, res, this.cookie);
      }
      throw e;
    }
  }

  /**
   * Ends the session (as /v1/auth/logout) and clears the cookie. Always 204. Device cookies
   * stay: they only make this browser known to the sign-in slowdown.
   */
  @Post('logout')
  @HttpCode(204)
  @consoleHeader
  @ApiOperation({ operationId: 'logoutSession', summary: 'Sign out of the console' })
  async logout(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<void> {
    requireConsoleHeader(req);
    const token = presentedToken(req, this.cookie);
    if (token) await this.auth.logout(token);
    clearSessionCookie(req, res, this.cookie);
  }

  /** Remembers this browser for the account (its device id kept), for a year from now. */
  private knowDevice(res: FastifyReply, email: string, device: string | null): void {
    setDeviceCookie(
      res,
      this.devices.cookieName(email),
      this.devices.issue(email, device ?? undefined),
      {
        secure: this.secure,
        maxAgeDays: DEVICE_DAYS,
      },
    );
  }

  private start(req: FastifyRequest, res: FastifyReply, issued: Issued): SessionDto {
    return sessionAnswer(req, res, issued, { cookie: this.cookie, maxAgeDays: this.maxAgeDays });
  }
}
