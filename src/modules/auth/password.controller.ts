import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { ApiErrors } from '../../common/http/api-errors';
import { RateLimit } from '../../common/http/rate-limit';
import { LoginDevices } from './login-devices.service';
import { PasswordChange } from './password-change.service';
import { ChangePasswordDto, ReauthenticateDto } from './password.dto';
import { Reauthentication } from './reauthentication.service';
import { presentedDevice } from './session-cookie';
import { SessionDto } from './session.dto';
import { NoStore } from '../../common/http/no-store';

@ApiTags('auth')
@Controller('v1/auth')
@Roles('agent', 'company_admin', 'finance', 'admin')
export class PasswordController {
  constructor(
    private readonly passwords: PasswordChange,
    private readonly reauthentication: Reauthentication,
    private readonly devices: LoginDevices,
  ) {}

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
   * (10), and answer 403 RECENT_SIGN_IN_REQUIRED otherwise. Answers a new access token that
   * says so; this login's refreshed tokens say it too (the refresh token is unchanged). A wrong
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
  ): Promise<SessionDto> {
    return this.reauthentication.confirm(actor, body.password, this.deviceOf(req));
  }

  /** The browser's own turn in the slowdown, when it signed in to this account before. */
  private deviceOf(req: FastifyRequest): (email: string) => string | null {
    return (email) =>
      this.devices.deviceOf(presentedDevice(req, this.devices.cookieName(email)), email);
  }
}
