import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { JOB_QUEUES } from '../jobs/job-registry';
import { QueuesService } from '../jobs/queues.service';
import { OutboxRepository } from './outbox.repository';
import { outboxJobId } from './outbox.service';

/** A row this long past both its relay and its run time, still unfinished, is looked at. */
export const RECONCILE_AFTER_MINUTES = 5;
/**
 * …while BullMQ still keeps its job once done: completed jobs stay a day (removeOnComplete in
 * jobs.module), so a job due or relayed within this window (it cannot finish before either)
 * that Redis does not know is one it lost, not one it ran and let go.
 */
export const RECONCILE_WITHIN_HOURS = 20;
const BATCH = 200;

export interface ReconcileResult {
  /** Rows whose job BullMQ holds as completed or failed for good: marked finished. */
  finished: number;
  /** Rows whose job Redis does not hold at all: marked unsent, so the relay sends them again. */
  resent: number;
}

/**
 * Checks sent-but-unfinished rows against Redis, a few hundred a pass. recoverLostJobs in the
 * relay covers a Redis that came back empty (its marker key gone); this covers what it cannot
 * see: a Redis that lost its last second of writes (AOF `everysec`, a failover to a replica
 * behind), which keeps the marker but not the jobs relayed in that second, and a finish mark
 * lost when a worker died within its 200 ms batch. Either left the row sent and unfinished
 * until pruned a week later: its job never ran, or it pinned `oldestUnfinished`, which holds
 * invoicing back for every company.
 */
@Injectable()
export class OutboxReconciler {
  private readonly logger = new Logger(OutboxReconciler.name);
  /** Rows are walked by id, a batch per pass, starting over once at the end. */
  private after = '0';

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly queues: QueuesService,
    private readonly rows: OutboxRepository,
  ) {}

  async reconcileOnce(): Promise<ReconcileResult> {
    const rows = await this.rows.sentUnfinished(this.db.manager, this.after, BATCH, {
      afterMinutes: RECONCILE_AFTER_MINUTES,
      withinHours: RECONCILE_WITHIN_HOURS,
    });
    this.after = rows.length < BATCH ? '0' : rows[rows.length - 1].id;
    const finished: string[] = [];
    const failed: string[] = [];
    const lost: string[] = [];
    for (const row of rows) {
      const queue = JOB_QUEUES[row.job_name];
      if (!queue) continue; // a job this release does not know (a newer one's): not ours to judge
      let state = await this.queues.get(queue).getJobState(outboxJobId(row.id));
      // Sent by a release before this job had a queue of its own (billing's): still on
      // `default`, where a worker runs it by name. Not lost, so not sent a second time.
      if (state === 'unknown' && queue !== 'default') {
        state = await this.queues.get('default').getJobState(outboxJobId(row.id));
      }
      // `failed` is final in BullMQ: a job with attempts left waits `delayed` or `waiting`.
      if (state === 'completed' || state === 'failed') {
        finished.push(row.id);
        if (state === 'failed') failed.push(row.id);
      } else if (state === 'unknown') lost.push(row.id);
    }
    if (finished.length > 0) await this.rows.markFinished(this.db.manager, finished, failed);
    const resent =
      lost.length > 0 ? await this.rows.markUnsentIfUnfinished(this.db.manager, lost) : 0;
    if (resent > 0) {
      this.logger.warn({ resent }, 'jobs missing from Redis; relaying them again');
    }
    return { finished: finished.length, resent };
  }
}
