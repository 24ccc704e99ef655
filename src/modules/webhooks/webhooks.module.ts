import { Module } from '@nestjs/common';
import { WebhookDeliveryHandler, WebhookFanOutHandler } from './webhook-jobs.handlers';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

@Module({
  controllers: [WebhooksController],
  providers: [WebhooksService, WebhookFanOutHandler, WebhookDeliveryHandler],
})
export class WebhooksModule {}
