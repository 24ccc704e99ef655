import { Body, Controller, Delete, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, RecentSignIn, Roles } from '../../common/auth/decorators';
import { IdParam } from '../../common/http/id-param';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { ApiErrors } from '../../common/http/api-errors';
import { ApiKeyDto, BotIdentityDto, CreateApiKeyDto, CreatedApiKeyDto } from './api-key.dto';
import { ApiKeysService } from './api-keys.service';
import { CompanyDto, UpdateCompanyDto } from './company.dto';
import { CompanySettingsService } from './company-settings.service';
import { NoStore } from '../../common/http/no-store';

@ApiTags('companies')
@Controller('v1/companies/me/api-keys')
@Roles('company_admin')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  /** Creates a key for the company's bot. The response is the only time the key is shown. */
  @Post()
  @NoStore()
  @RecentSignIn()
  @Idempotent()
  @ApiOperation({ operationId: 'createApiKey', summary: "Create an API key for the company's bot" })
  @ApiErrors('API_KEY_LIMIT')
  create(@CurrentActor() actor: Actor, @Body() body: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.keys.create(actor, body.name);
  }

  /** Active keys, newest first, with prefixes and last-used times (never the keys). */
  @Get()
  @ApiOperation({ operationId: 'listApiKeys', summary: 'List active API keys' })
  list(@CurrentActor() actor: Actor): Promise<ApiKeyDto[]> {
    return this.keys.list(actor);
  }

  /** Revokes a key at once; calls with it are refused from now on. */
  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ operationId: 'revokeApiKey', summary: 'Revoke an API key' })
  async revoke(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<void> {
    await this.keys.revoke(actor, id);
  }
}

@ApiTags('bot')
@Controller('v1/bot')
@Roles('bot')
export class BotController {
  constructor(private readonly keys: ApiKeysService) {}

  /** Which company and key a bot's API key stands for: a quick check that a key works. */
  @Get('me')
  @ApiOperation({ operationId: 'getBotIdentity', summary: 'Check an API key' })
  me(@CurrentActor() actor: Actor): Promise<BotIdentityDto> {
    return this.keys.identity(actor);
  }
}

@ApiTags('companies')
@Controller('v1/companies/me')
@Roles('company_admin')
export class CompanySettingsController {
  constructor(private readonly settings: CompanySettingsService) {}

  /** The company: name, time zone and billing settings. */
  @Get()
  @ApiOperation({ operationId: 'getMyCompany', summary: 'Get your company' })
  @ApiErrors('NOT_FOUND')
  get(@CurrentActor() actor: Actor): Promise<CompanyDto> {
    return this.settings.get(actor);
  }

  /** Changes the fields sent: name, time zone, billing period, billing email. */
  @Patch()
  @ApiOperation({ operationId: 'updateMyCompany', summary: "Change your company's settings" })
  @ApiErrors('NOT_FOUND')
  update(@CurrentActor() actor: Actor, @Body() body: UpdateCompanyDto): Promise<CompanyDto> {
    return this.settings.update(actor, body);
  }
}
