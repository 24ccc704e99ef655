import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job } from 'bullmq';
import { DataSource } from 'typeorm';
import { OutboxRepository } from './outbox.repository';
import { outboxRowId } from './outbox.service';

// Marks are written in batches: one UPDATE per FLUSH_MS per worker process instead of one per
// job. A mark lost to a crash only means the job may run once more if Redis also loses its data.
const FLUSH_MS = 200;
// At shutdown, the last flush is tried this many times, this far apart.
const SHUTDOWN_TRIES = 3;
const SHUTDOWN_RETRY_MS = 500;
// While PostgreSQL is unreachable marks wait in memory, up to this many.
const MAX_PENDING = 100_000;

/**
 * Records in `outbox.finished_at` that BullMQ is done with a relayed job: completed, or failed
 * with no attempts left (`failed`: its row is kept longer, see the relay's prune).
 * Sent-but-unfinished rows are what the relay sends again when Redis comes back empty.
 */
@Injectable()
export class OutboxFinishedMarks implements BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxFinishedMarks.name);
  private pending: { id: string; failed: boolean }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly rows: OutboxRepository,
  ) {}

  /** Call on a worker's 'completed' and 'failed' events; retries still to come are ignored. */
  onJobEvent(job: Job, event: 'completed' | 'failed'): void {
    if (event === 'failed' && !job.finishedOn) return; // will be retried
    const rowId = job.id ? outboxRowId(job.id) : null;
    if (!rowId || this.pending.length >= MAX_PENDING) return;
    this.pending.push({ id: rowId, failed: event === 'failed' });
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flushing = this.flushing.then(() => this.flush());
    }, FLUSH_MS).unref();
  }

  /**
   * After every module's destroy hook, so after the workers closed (queue.processors.ts), with
   * the database still open (TypeORM closes it on application shutdown): the last marks too.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flushing;
    // No later flush will come: a write that fails (a database hiccup during the deploy) is
    // tried again a few times before the marks are given up to the reconciler.
    for (let attempt = 1; ; attempt++) {
      await this.flush();
      if (this.pending.length === 0) return;
      if (attempt === SHUTDOWN_TRIES) break;
      await new Promise((resolve) => setTimeout(resolve, SHUTDOWN_RETRY_MS));
    }
    this.logger.error(
      { marks: this.pending.length },
      'outbox finish marks not written at shutdown; the reconciler marks the rows due in the last 20 hours',
    );
  }

  private async flush(): Promise<void> {
    const marks = this.pending.splice(0);
    if (marks.length === 0) return;
    try {
      await this.rows.markFinished(
        this.db.manager,
        marks.map((m) => m.id),
        marks.filter((m) => m.failed).map((m) => m.id),
      );
    } catch (e) {
      // Kept for the next flush; the next finished job schedules one.
      this.pending.unshift(...marks.slice(0, MAX_PENDING - this.pending.length));
      this.logger.warn(
        { err: e, marks: marks.length },
        'outbox finish marks not written; will retry',
      );
    }
  }
}
