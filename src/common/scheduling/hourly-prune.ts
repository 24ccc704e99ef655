import { Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { startPeriodicTask } from './periodic-task';

const PRUNE_EVERY_MS = 3_600_000;

/**
 * An hourly prune of rows past their retention, in a worker process, and one at its start (a
 * worker restarted more often than hourly pruned nothing): `prune` deletes in short batches and
 * asks `goOn` between them, so that shutdown stops it between batches. Several processes
 * pruning at once take different rows (deleteInBatches' SKIP LOCKED).
 */
export abstract class HourlyPrune implements OnApplicationBootstrap, OnModuleDestroy {
  protected abstract readonly logger: Logger;
  /** What is pruned, for the log ("old webhook deliveries"). */
  protected abstract readonly what: string;
  private task: { stop: () => Promise<void> } | null = null;
  private stopping = false;

  /** Deletes what is past its retention; returns how many rows went. */
  protected abstract deleteOld(goOn: () => boolean): Promise<number>;

  onApplicationBootstrap(): void {
    this.task = startPeriodicTask(
      () => this.prune(),
      PRUNE_EVERY_MS,
      this.logger,
      `prune of ${this.what}`,
      true,
    );
  }

  /** One prune now; returns how many rows went. */
  async prune(): Promise<number> {
    const pruned = await this.deleteOld(() => !this.stopping);
    if (pruned > 0) this.logger.log({ pruned }, `${this.what} pruned`);
    return pruned;
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    await this.task?.stop();
  }
}
