import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
  Optional,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { Client } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { FailureStreak } from '../../common/scheduling/failure-streak';
import { withTimeout } from '../../common/scheduling/with-timeout';
import { Env } from '../../config/env.validation';
import { outboxPayloadData, withJobMeta } from '../jobs/job-meta';
import { JOB_NAMES, JOB_QUEUES, PAYLOAD_IN_OUTBOX, QueueName } from '../jobs/job-registry';
import { QueuesService } from '../jobs/queues.service';
import { OutboxRelayRow, OutboxRepository } from './outbox.repository';
import { OutboxReconciler } from './outbox-reconciler.service';
import { outboxJobId } from './outbox.service';

const BATCH_SIZE = 500;
const PRUNE_EVERY_MS = 3_600_000;
const RECONCILE_EVERY_MS = 60_000;
const KEEP_SENT_DAYS = 7;
// A row whose job failed for good outlives it in Redis's failed set (kept 14 days after its
// last failure, removeOnFail, which its finish mark dates): retried from the dashboard or
// settled by the sweep, it still finds its payload (PAYLOAD_IN_OUTBOX).
const KEEP_FAILED_DAYS = 16;
// A key the relay keeps in Redis beside the queues. Gone means Redis lost its data.
const MARKER = 'outbox-relay-marker';
/**
 * How long a pass waits for Redis to take its jobs. The pass holds its rows' locks, and so a
 * transaction id, until then: the events sequencer positions no event of a transaction younger
 * than one still running, so a Redis that stops answering (a pause, a partition with no reset)
 * held back every live event of every process for as long as it hung. Given up, the pass rolls
 * back and the next sends the rows again (a late add is dropped as a duplicate job id).
 */
export const RELAY_ADD_TIMEOUT_MS = 2_000;

/**
 * Moves committed outbox rows into BullMQ. Rows are locked (SKIP LOCKED, so several relays
 * share the work), added with jobId = row id (within RELAY_ADD_TIMEOUT_MS), then marked sent in
 * the same transaction. A crash
 * after the add but before the commit leaves the rows unsent; the next pass adds them again and
 * BullMQ ignores the duplicate job ids. Woken by LISTEN/NOTIFY, with polling as a fallback.
 *
 * A Redis that restarts without its data (no AOF, a failover to an empty replica) has lost every
 * job handed over and not yet finished; recoverLostJobs sends those rows again. A Redis that
 * lost only its last writes keeps the marker: OutboxReconciler finds those jobs (every minute).
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly failures = new FailureStreak(this.logger, 'outbox relay pass');
  private stopped = false;
  private loop: Promise<void> | null = null;
  private listener: Client | null = null;
  private wake: (() => void) | null = null;
  /** A row committed during a pass (its NOTIFY had no sleep to end): one more pass at once. */
  private dirty = false;
  /** Sleeping after a failed pass: only the poll's end (or a stop) ends it. */
  private pausing = false;
  private lastPrune = 0;
  /** The hourly prune under way, beside the relay (never in its way). */
  private pruning: Promise<void> | null = null;
  private lastReconcile = 0;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly queues: QueuesService,
    private readonly config: ConfigService<Env, true>,
    private readonly rows: OutboxRepository,
    // Optional so a relay built by hand (tests) runs without it.
    @Optional() private readonly reconciler?: OutboxReconciler,
  ) {}

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await this.pruning;
    await this.listener?.end().catch(() => undefined);
  }

  /** One pass: relays up to BATCH_SIZE rows and returns how many it relayed. */
  async relayOnce(): Promise<number> {
    await this.recoverLostJobs();
    return this.db.transaction(async (em) => {
      // A row naming a job this release does not know (written by a newer one during a
      // rolling deploy) waits for a process that knows it instead of blocking the relay.
      const rows = await this.rows.lockUnsent(em, BATCH_SIZE, JOB_NAMES);
      if (rows.length === 0) return 0;
      const byQueue = new Map<QueueName, OutboxRelayRow[]>();
      for (const row of rows) {
        const queue = JOB_QUEUES[row.job_name];
        byQueue.set(queue, [...(byQueue.get(queue) ?? []), row]);
      }
      for (const [queue, queued] of byQueue) {
        const added = this.queues.get(queue).addBulk(
          queued.map((r) => ({
            name: r.job_name,
            // The request id rides beside the payload; the dispatcher takes it off again.
            data: PAYLOAD_IN_OUTBOX.has(r.job_name)
              ? outboxPayloadData({ requestId: r.request_id ?? undefined })
              : withJobMeta(r.payload, { requestId: r.request_id ?? undefined }),
            opts: { jobId: outboxJobId(r.id), delay: Number(r.delay_ms) },
          })),
        );
        await withTimeout(added, RELAY_ADD_TIMEOUT_MS, `Redis did not take the ${queue} jobs`);
      }
      await this.markSent(
        em,
        rows.map((r) => r.id),
      );
      return rows.length;
    });
  }

  /**
   * When the marker key is missing, Redis is not the one the relay last wrote to: rows marked
   * sent whose jobs never finished (OutboxFinishedMarks) are marked unsent, and this pass and the
   * next send them again. Jobs Redis still holds keep their ids, so BullMQ drops those copies; a
   * job that finished after its mark was lost runs once more, which handlers allow
   * (at-least-once). A first start, or several relays noticing at once, is harmless the same way.
   */
  private async recoverLostJobs(): Promise<void> {
    const queue = this.queues.get('default');
    const redis = await queue.client;
    const marker = queue.toKey(MARKER);
    if ((await redis.get(marker)) !== null) return;
    const resent = await this.rows.markUnfinishedUnsent(this.db.manager);
    await redis.set(marker, new Date().toISOString());
    if (resent > 0)
      this.logger.warn(
        { resent },
        'Redis came back without its data; relaying unfinished jobs again',
      );
  }

  protected async markSent(em: EntityManager, ids: string[]): Promise<void> {
    await this.rows.markSent(em, ids);
  }

  private async run(): Promise<void> {
    const pollMs = this.config.get('OUTBOX_POLL_MS', { infer: true });
    while (!this.stopped) {
      await this.ensureListening();
      this.dirty = false;
      let relayed = 0;
      let failed = false;
      try {
        relayed = await this.relayOnce();
        this.pruneBeside();
        await this.reconcile();
        this.failures.succeeded();
      } catch (e) {
        failed = true;
        this.failures.failed(e);
      }
      // A wake-up during the pass found no sleep to end: without this, its row waited out the
      // poll (OUTBOX_POLL_MS) for nothing. A failed pass always waits: failing fast under
      // steady writes, it looped without a pause.
      if (failed || (relayed < BATCH_SIZE && !this.dirty)) {
        this.pausing = failed;
        if (!this.stopped) await this.sleep(pollMs);
        this.pausing = false;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async ensureListening(): Promise<void> {
    if (this.listener || this.stopped) return;
    const client = new Client({
      connectionString: this.config.get('DATABASE_URL', { infer: true }),
      connectionTimeoutMillis: 5000,
    });
    client.on('notification', () => {
      this.dirty = true;
      // Not during the pause after a failed pass: each commit woke a failing pass again.
      if (!this.pausing) this.wake?.();
    });
    client.on('error', (e) => {
      this.logger.warn(
        { err: e },
        'outbox listener lost; falling back to polling until reconnected',
      );
      if (this.listener === client) this.listener = null;
      client.end().catch(() => undefined);
    });
    try {
      await client.connect();
      await this.rows.listen(client);
      this.listener = client;
    } catch (e) {
      this.logger.warn({ err: e }, 'outbox listener could not connect; polling only');
      await client.end().catch(() => undefined);
    }
  }

  private async reconcile(): Promise<void> {
    if (!this.reconciler || Date.now() - this.lastReconcile < RECONCILE_EVERY_MS) return;
    this.lastReconcile = Date.now();
    await this.reconciler.reconcileOnce();
  }

  /**
   * Starts the hourly prune without waiting for it: an hour's rows take a while to delete, and
   * relaying (timers, offers, bookings) must not wait for them.
   */
  private pruneBeside(): void {
    if (this.pruning) return;
    this.pruning = this.pruneSent()
      .catch((e: unknown) => this.logger.warn({ err: e }, 'old outbox rows not pruned; next hour'))
      .finally(() => {
        this.pruning = null;
      });
  }

  private async pruneSent(): Promise<void> {
    if (Date.now() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = Date.now();
    await this.rows.deleteSentBefore(
      this.db.manager,
      KEEP_SENT_DAYS,
      KEEP_FAILED_DAYS,
      undefined,
      () => !this.stopped,
    );
  }
}
