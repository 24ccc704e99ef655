import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { IdParam } from '../../common/http/id-param';
import { ApiKeyDto, BotIdentityDto, CreateApiKeyDto, CreatedApiKeyDto } from './api-key.dto';
import { ApiKeysService } from './api-keys.service';

@ApiTags('companies')
@ApiBearerAuth('user')
@Controller('v1/companies/me/api-keys')
@Roles('company_admin')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  /** Creates a key for the company's bot. The response is the only time the key is shown. */
  @Post()
  create(@CurrentActor() actor: Actor, @Body() body: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.keys.create(actor, body.name);
  }

  /** Active keys, newest first, with prefixes and last-used times (never the keys). */
  @Get()
  list(@CurrentActor() actor: Actor): Promise<ApiKeyDto[]> {
    return this.keys.list(actor);
  }

  /** Revokes a key at once; calls with it are refused from now on. */
  @Delete(':id')
  @HttpCode(204)
  async revoke(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<void> {
    await this.keys.revoke(actor, id);
  }
}

@ApiTags('bot')
@ApiBearerAuth('bot')
@Controller('v1/bot')
@Roles('bot')
export class BotController {
  constructor(private readonly keys: ApiKeysService) {}

  /** Which company and key a bot's API key stands for: a quick check that a key works. */
  @Get('me')
  me(@CurrentActor() actor: Actor): Promise<BotIdentityDto> {
    return this.keys.identity(actor);
  }
}
