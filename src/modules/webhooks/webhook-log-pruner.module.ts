import { Module } from '@nestjs/common';
import { WebhooksModule } from './webhooks.module';
import { WebhookLogPruner } from './webhook-log-pruner.service';

/** The delivery log's prune, in worker processes only (AppModule). */
@Module({ imports: [WebhooksModule], providers: [WebhookLogPruner] })
export class WebhookLogPrunerModule {}
