import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, RecentSignIn, Roles } from '../../common/auth/decorators';
import { IdParam } from '../../common/http/id-param';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { RateLimit } from '../../common/http/rate-limit';
import { ApiErrors } from '../../common/http/api-errors';
import {
  ListDeliveriesQueryDto,
  SetWebhookDto,
  WebhookDeliveryDto,
  WebhookDeliveryPageDto,
  WebhookDto,
  WebhookSetDto,
  WebhookWithSecretDto,
} from './webhook.dto';
import { WebhooksService } from './webhooks.service';
import { NoStore } from '../../common/http/no-store';

@ApiTags('webhooks')
@Controller('v1/companies/me')
@Roles('company_admin')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  /**
   * Sets the webhook URL. The first time it also returns the signing secret (shown only here);
   * changing the URL later keeps the secret (`secret` is then null).
   */
  @Put('webhook')
  @NoStore()
  @RecentSignIn()
  @ApiOperation({ operationId: 'setWebhook', summary: 'Set the webhook URL' })
  set(@CurrentActor() actor: Actor, @Body() body: SetWebhookDto): Promise<WebhookSetDto> {
    return this.webhooks.set(actor, body.url);
  }

  /**
   * Replaces the signing secret and returns the new one (shown only here). Every attempt from
   * now on signs with it, retries of pending deliveries included.
   */
  @Post('webhook/rotate-secret')
  @NoStore()
  @RecentSignIn()
  @HttpCode(200)
  @ApiOperation({
    operationId: 'rotateWebhookSecret',
    summary: "Replace the webhook's signing secret",
  })
  @ApiErrors('WEBHOOK_NOT_CONFIGURED')
  rotateSecret(@CurrentActor() actor: Actor): Promise<WebhookWithSecretDto> {
    return this.webhooks.rotateSecret(actor);
  }

  /** Sends a signed `ping` event, as any delivery (logged, retried); returns that delivery. */
  @Post('webhook/test')
  @Idempotent()
  @RateLimit('redeliver')
  @HttpCode(202)
  @ApiOperation({ operationId: 'testWebhook', summary: 'Send a test ping to the webhook' })
  @ApiErrors('WEBHOOK_NOT_CONFIGURED')
  test(@CurrentActor() actor: Actor): Promise<WebhookDeliveryDto> {
    return this.webhooks.sendPing(actor);
  }

  @Get('webhook')
  @ApiOperation({ operationId: 'getWebhook', summary: 'Get the webhook' })
  @ApiErrors('WEBHOOK_NOT_CONFIGURED')
  get(@CurrentActor() actor: Actor): Promise<WebhookDto> {
    return this.webhooks.get(actor);
  }

  /** Stops deliveries; pending ones fail, and a webhook set later gets no event from before. */
  @Delete('webhook')
  @HttpCode(204)
  @Idempotent()
  @ApiOperation({ operationId: 'deleteWebhook', summary: 'Remove the webhook' })
  @ApiErrors('WEBHOOK_NOT_CONFIGURED')
  async remove(@CurrentActor() actor: Actor): Promise<void> {
    await this.webhooks.remove(actor);
  }

  /**
   * Deliveries, newest first, with their attempts, the last error and the next attempt's time;
   * filtered by `status` and `event` (each comma-separated).
   */
  @Get('webhook-deliveries')
  @ApiOperation({ operationId: 'listWebhookDeliveries', summary: 'List webhook deliveries' })
  deliveries(
    @CurrentActor() actor: Actor,
    @Query() query: ListDeliveriesQueryDto,
  ): Promise<WebhookDeliveryPageDto> {
    return this.webhooks.deliveries(actor, query);
  }

  /** Sends a delivery again, with a fresh retry schedule. */
  @Post('webhook-deliveries/:id/redeliver')
  @Idempotent()
  @RateLimit('redeliver')
  @HttpCode(202)
  @ApiOperation({ operationId: 'redeliverWebhook', summary: 'Send a webhook delivery again' })
  @ApiErrors('DELIVERY_IN_PROGRESS')
  redeliver(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<WebhookDeliveryDto> {
    return this.webhooks.redeliver(actor, id);
  }
}
