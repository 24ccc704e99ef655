import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { startPeriodicTask } from '../../common/scheduling/periodic-task';
import { Env } from '../../config/env.validation';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';

const PRUNE_EVERY_MS = 3_600_000;

/**
 * Hourly, in a worker process: deliveries settled more than WEBHOOK_LOG_RETENTION_DAYS ago
 * leave the delivery log, their payloads with them. Each payload carries the event's text
 * (messages, summaries, reasons), kept as long as the events themselves and no longer. Several
 * processes pruning at once take different rows (SKIP LOCKED); shutdown stops between batches.
 */
@Injectable()
export class WebhookLogPruner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WebhookLogPruner.name);
  private task: { stop: () => Promise<void> } | null = null;
  private stopping = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly config: ConfigService<Env, true>,
  ) {}

  onApplicationBootstrap(): void {
    this.task = startPeriodicTask(
      () => this.prune(),
      PRUNE_EVERY_MS,
      this.logger,
      'webhook delivery log prune',
    );
  }

  /** One prune now; returns how many deliveries went. */
  async prune(): Promise<number> {
    const days = this.config.get('WEBHOOK_LOG_RETENTION_DAYS', { infer: true });
    const pruned = await this.deliveries.deleteSettledBefore(
      this.db.manager,
      days,
      () => !this.stopping,
    );
    if (pruned > 0) this.logger.log({ pruned }, 'old webhook deliveries pruned');
    return pruned;
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    await this.task?.stop();
  }
}
