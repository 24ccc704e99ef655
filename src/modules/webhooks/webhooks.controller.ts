import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { IdParam } from '../../common/http/id-param';
import { RateLimit } from '../../common/http/rate-limit';
import {
  ListDeliveriesQueryDto,
  SetWebhookDto,
  WebhookDeliveryDto,
  WebhookDeliveryPageDto,
  WebhookDto,
  WebhookWithSecretDto,
} from './webhook.dto';
import { WebhooksService } from './webhooks.service';

@ApiTags('webhooks')
@ApiBearerAuth('user')
@Controller('v1/companies/me')
@Roles('company_admin')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  /** Sets the webhook URL and returns a new signing secret (shown only here). */
  @Put('webhook')
  set(@CurrentActor() actor: Actor, @Body() body: SetWebhookDto): Promise<WebhookWithSecretDto> {
    return this.webhooks.set(actor, body.url);
  }

  @Get('webhook')
  get(@CurrentActor() actor: Actor): Promise<WebhookDto> {
    return this.webhooks.get(actor);
  }

  /** Stops deliveries; pending ones fail. */
  @Delete('webhook')
  @HttpCode(204)
  async remove(@CurrentActor() actor: Actor): Promise<void> {
    await this.webhooks.remove(actor);
  }

  /** Every delivery, newest first, with its attempts and the receiver's last answer. */
  @Get('webhook-deliveries')
  deliveries(
    @CurrentActor() actor: Actor,
    @Query() query: ListDeliveriesQueryDto,
  ): Promise<WebhookDeliveryPageDto> {
    return this.webhooks.deliveries(actor, query.limit, query.cursor);
  }

  /** Sends a delivery again, with a fresh retry schedule. */
  @Post('webhook-deliveries/:id/redeliver')
  @RateLimit('redeliver')
  @HttpCode(202)
  redeliver(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<WebhookDeliveryDto> {
    return this.webhooks.redeliver(actor, id);
  }
}
