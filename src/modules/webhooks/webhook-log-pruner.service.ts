import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { HourlyPrune } from '../../common/scheduling/hourly-prune';
import { Env } from '../../config/env.validation';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';

/**
 * Deliveries settled more than WEBHOOK_LOG_RETENTION_DAYS ago leave the delivery log, their
 * payloads with them: each carries the event's text (messages, summaries, reasons), kept as
 * long as the events themselves and no longer.
 */
@Injectable()
export class WebhookLogPruner extends HourlyPrune {
  protected readonly logger = new Logger(WebhookLogPruner.name);
  protected readonly what = 'old webhook deliveries';

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly config: ConfigService<Env, true>,
  ) {
    super();
  }

  protected deleteOld(goOn: () => boolean): Promise<number> {
    const days = this.config.get('WEBHOOK_LOG_RETENTION_DAYS', { infer: true });
    return this.deliveries.deleteSettledBefore(this.db.manager, days, goOn);
  }
}
