import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { ApiErrors } from '../../common/http/api-errors';
import { NoStore } from '../../common/http/no-store';
import { RateLimit } from '../../common/http/rate-limit';
import { Env } from '../../config/env.validation';
import { ReauthenticatedDto } from './auth.dto';
import { LoginDevices } from './login-devices.service';
import { PasswordChange } from './password-change.service';
import { ChangePasswordDto, ReauthenticateDto } from './password.dto';
import { Reauthentication } from './reauthentication.service';
import {
  presentedDevice,
  presentedToken,
  requireConsoleHeader,
  sessionAnswer,
  sessionCookie,
  SessionCookie,
} from './session-cookie';
import { consoleHeader, SESSION_SET, setCookie } from './session.controller';
import { SessionDto } from './session.dto';

/** A signed-in person's own password: changing it, and giving it again. */
@ApiTags('auth')
@Controller('v1/auth')
@Roles('agent', 'company_admin', 'finance', 'admin')
export class PasswordController {
  private readonly cookie: SessionCookie;
  private readonly maxAgeDays: number;

  constructor(
    private readonly passwords: PasswordChange,
    private readonly reauthentication: Reauthentication,
    private readonly devices: LoginDevices,
    config: ConfigService<Env, true>,
  ) {
    this.cookie = sessionCookie(config.get('PUBLIC_URL', { infer: true }).startsWith('https:'));
    this.maxAgeDays = config.get('REFRESH_TOKEN_TTL_DAYS', { infer: true });
  }

  /**
   * Changes your password, given the current one, and ends every login of the account (this
   * one too) and its event streams: sign in again with the new password. A wrong current
   * password counts toward the sign-in slowdown as a failed sign-in does.
   */
  @Post('password')
  @HttpCode(204)
  @RateLimit('auth')
  @ApiOperation({ operationId: 'changePassword', summary: 'Change your password' })
  @ApiNoContentResponse({ description: 'Changed; every login of the account ended' })
  @ApiErrors('RATE_LIMITED', 'CONFLICT')
  async change(
    @CurrentActor() actor: Actor,
    @Req() req: FastifyRequest,
    @Body() body: ChangePasswordDto,
  ): Promise<void> {
    await this.passwords.change(actor, body, this.deviceOf(req));
  }

  /**
   * Gives your password again: the routes that hand out lasting access (API keys, a webhook's
   * address or secret, payout onboarding) want a sign-in in the last RECENT_SIGN_IN_MINUTES
   * (10), and answer 403 RECENT_SIGN_IN_REQUIRED otherwise. Answers the access token's login a
   * new pair that says the password was given now: keep its refresh token. The one you held
   * still works, with the login's earlier time, until either is used; the first used revokes the
   * other, and the other presented after signs the login out as a stolen copy would. A wrong
   * password counts toward the sign-in slowdown as a failed sign-in does.
   */
  @Post('reauthenticate')
  @HttpCode(200)
  @NoStore()
  @RateLimit('auth')
  @ApiOperation({ operationId: 'reauthenticate', summary: 'Give your password again' })
  async reauthenticate(
    @CurrentActor() actor: Actor,
    @Req() req: FastifyRequest,
    @Body() body: ReauthenticateDto,
  ): Promise<ReauthenticatedDto> {
    const { user, tokens } = await this.reauthentication.confirm(
      actor,
      body.password,
      this.deviceOf(req),
    );
    return { ...tokens, user };
  }

  /**
   * The console's reauthentication (as /v1/auth/reauthenticate, with the access token): the new
   * refresh token goes into the session cookie, which must hold the access token's login (401
   * when another tab signed this browser in to another since).
   */
  @Post('session/reauthenticate')
  @HttpCode(200)
  @NoStore()
  @RateLimit('auth')
  @consoleHeader
  @ApiOperation({ operationId: 'reauthenticateSession', summary: 'Give your password again' })
  @ApiOkResponse({
    type: SessionDto,
    description: 'A new access token; the session cookie holds the new refresh token',
    headers: setCookie(SESSION_SET),
  })
  async reauthenticateSession(
    @CurrentActor() actor: Actor,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
    @Body() body: ReauthenticateDto,
  ): Promise<SessionDto> {
    requireConsoleHeader(req);
    // The cookie must be the access token's login: a tab that has not yet followed another
    // tab's sign-in would otherwise put its old login back in the browser's cookie.
    const issued = await this.reauthentication.confirm(
      actor,
      body.password,
      this.deviceOf(req),
      presentedToken(req, this.cookie) ?? '',
    );
    return sessionAnswer(req, res, issued, { cookie: this.cookie, maxAgeDays: this.maxAgeDays });
  }

  /** The browser's own turn in the slowdown, when it signed in to this account before. */
  private deviceOf(req: FastifyRequest): (email: string) => string | null {
    return (email) =>
      this.devices.deviceOf(presentedDevice(req, this.devices.cookieName(email)), email);
  }
}
