import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { MetricsCoreModule } from '../metrics/metrics-core.module';
import { OutboxModule } from '../outbox/outbox.module';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { WebhookFanOutHandler } from './webhook-fan-out.handler';
import { WebhookDeliveryHandler } from './webhook-jobs.handlers';
import { systemResolver, WEBHOOK_RESOLVER } from './webhook-resolver';
import { WebhookSecrets } from './webhook-secrets.service';
import { WebhookTargetPolicy } from './webhook-target.policy';
import { WebhooksController } from './webhooks.controller';
import { CompanyDeliverySlots } from './company-delivery-slots';
import { WebhooksService } from './webhooks.service';

@Module({
  // EventsModule: a delivery failed for good is a `webhook.failing` event for the company.
  imports: [OutboxModule, MetricsCoreModule, EventsModule],
  controllers: [WebhooksController],
  providers: [
    WebhooksService,
    WebhookFanOutHandler,
    WebhookDeliveryHandler,
    CompanyDeliverySlots,
    WebhookTargetPolicy,
    WebhookSecrets,
    WebhookEndpointsRepository,
    WebhookDeliveriesRepository,
    { provide: WEBHOOK_RESOLVER, useValue: systemResolver },
  ],
  // For the delivery log's pruner (WebhookLogPrunerModule, worker processes), the same owner.
  exports: [WebhookDeliveriesRepository],
})
export class WebhooksModule {}
