import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { ApiErrors } from '../../common/http/api-errors';
import { RateLimit } from '../../common/http/rate-limit';
import { LoginDevices } from './login-devices.service';
import { PasswordChange } from './password-change.service';
import { ChangePasswordDto } from './password.dto';
import { presentedDevice } from './session-cookie';

@ApiTags('auth')
@Controller('v1/auth/password')
export class PasswordController {
  constructor(
    private readonly passwords: PasswordChange,
    private readonly devices: LoginDevices,
  ) {}

  /**
   * Changes your password, given the current one, and ends every login of the account (this
   * one too) and its event streams: sign in again with the new password. A wrong current
   * password counts toward the sign-in slowdown as a failed sign-in does.
   */
  @Post()
  @HttpCode(204)
  @Roles('agent', 'company_admin', 'finance', 'admin')
  @RateLimit('auth')
  @ApiOperation({ operationId: 'changePassword', summary: 'Change your password' })
  @ApiNoContentResponse({ description: 'Changed; every login of the account ended' })
  @ApiErrors('RATE_LIMITED', 'CONFLICT')
  async change(
    @CurrentActor() actor: Actor,
    @Req() req: FastifyRequest,
    @Body() body: ChangePasswordDto,
  ): Promise<void> {
    // The browser's own turn in the slowdown, when it signed in to this account before.
    await this.passwords.change(actor, body, (email) =>
      this.devices.deviceOf(presentedDevice(req, this.devices.cookieName(email)), email),
    );
  }
}
