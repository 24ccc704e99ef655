import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { startPeriodicTask } from '../../common/scheduling/periodic-task';
import { Env } from '../../config/env.validation';
import { QualityTiers } from './quality-tiers.service';

/**
 * Every QUALITY_REFRESH_MS a worker process rewrites the router's tiers from ratings and
 * reviews (one process at a time: an advisory lock; the others skip). Offers follow a new
 * rating within that interval; the quality page computes on read and is never behind.
 */
@Injectable()
export class QualityRefresher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(QualityRefresher.name);
  private task: { stop: () => Promise<void> } | null = null;

  constructor(
    private readonly tiers: QualityTiers,
    private readonly config: ConfigService<Env, true>,
  ) {}

  onApplicationBootstrap(): void {
    this.task = startPeriodicTask(
      () => this.tiers.refresh(),
      this.config.get('QUALITY_REFRESH_MS', { infer: true }),
      this.logger,
      'quality tiers refresh',
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.task?.stop();
  }
}
