import { Module } from '@nestjs/common';
import { WebhookDeliveryHandler, WebhookFanOutHandler } from './webhook-jobs.handlers';
import { systemResolver, WEBHOOK_RESOLVER } from './webhook-resolver';
import { WebhookSecrets } from './webhook-secrets.service';
import { WebhookTargetPolicy } from './webhook-target.policy';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

@Module({
  controllers: [WebhooksController],
  providers: [
    WebhooksService,
    WebhookFanOutHandler,
    WebhookDeliveryHandler,
    WebhookTargetPolicy,
    WebhookSecrets,
    { provide: WEBHOOK_RESOLVER, useValue: systemResolver },
  ],
})
export class WebhooksModule {}
