import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { FailureStreak } from '../../common/scheduling/failure-streak';
import { Env } from '../../config/env.validation';
import { sideRedis } from '../jobs/redis-options';
import { EventRow, EventsRepository } from './events.repository';

const BATCH_SIZE = 1000;
const PRUNE_EVERY_MS = 3_600_000;

/** The Redis channel every API process's hub subscribes to. */
export const eventsChannel = (prefix: string) => `${prefix}:events`;

/**
 * Gives committed events their public, gap-free positions and publishes them to Redis for the
 * stream hubs. Runs in every process; one at a time does the work (a transaction-scoped
 * advisory lock taken with try, so the others skip instead of queueing). Woken by NOTIFY after
 * event-writing commits (events and outbox channels), with EVENTS_POLL_MS polling as the
 * fallback — which is also what positions a row held back by a long-running transaction once it
 * ends (that transaction may write no event and so notify nobody). Also prunes old events.
 */
@Injectable()
export class EventSequencer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(EventSequencer.name);
  private readonly failures = new FailureStreak(this.logger, 'events sequencer pass');
  private stopped = false;
  private loop: Promise<void> | null = null;
  private listener: Client | null = null;
  private wake: (() => void) | null = null;
  private dirty = false;
  /** Sleeping after a failed pass: only the poll's end (or a stop) ends it. */
  private pausing = false;
  private lastPrune = 0;
  /** The hourly prune under way, beside the positioning (never in its way). */
  private pruning: Promise<void> | null = null;
  private publisher: Redis | null = null;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: ConfigService<Env, true>,
    private readonly rows: EventsRepository,
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
    this.publisher?.disconnect();
  }

  /**
   * One pass: positions up to BATCH_SIZE committed events and publishes them; returns them
   * (empty when there were none or another process holds the sequencer lock).
   */
  async sequenceOnce(): Promise<EventRow[]> {
    const { sequencer, rows } = await this.db.transaction(async (em) => {
      if (!(await this.rows.tryLockSequencer(em))) return { sequencer: false, rows: [] };
      return { sequencer: true, rows: await this.rows.assignPositions(em, BATCH_SIZE) };
    });
    if (rows.length > 0) await this.publish(rows);
    // The sequencer's process prunes, after its transaction (inside it the delete took a second
    // connection while the first was held: a full pool then failed the pass), and without
    // waiting for it: live events must not wait for a day's old ones to be deleted.
    if (sequencer && !this.pruning && Date.now() - this.lastPrune > PRUNE_EVERY_MS) {
      this.lastPrune = Date.now();
      this.pruning = this.prune()
        .then(() => undefined)
        .catch((e: unknown) => this.logger.warn({ err: e }, 'old events not pruned; next hour'))
        .finally(() => {
          this.pruning = null;
        });
    }
    return rows;
  }

  /** Deletes events older than the retention (EVENTS_RETENTION_DAYS); returns how many. */
  prune(): Promise<number> {
    const days = this.config.get('EVENTS_RETENTION_DAYS', { infer: true });
    return this.rows.deleteOlderThan(this.db.manager, days, undefined, () => !this.stopped);
  }

  private async publish(rows: EventRow[]): Promise<void> {
    // Best effort: a hub that misses a message finds the gap (positions are gap-free) or its
    // poll finds the new head, and reads the events from the database.
    try {
      this.publisher ??= sideRedis(this.config.get('REDIS_URL', { infer: true }), (e) =>
        this.logger.warn({ err: e }, 'events publisher: Redis error'),
      );
      const prefix = this.config.get('QUEUE_PREFIX', { infer: true });
      await this.publisher.publish(eventsChannel(prefix), JSON.stringify(rows));
    } catch (e) {
      this.logger.warn(
        { err: e },
        'events not published; the hubs will read them from the database',
      );
    }
  }

  private async run(): Promise<void> {
    const pollMs = this.config.get('EVENTS_POLL_MS', { infer: true });
    while (!this.stopped) {
      await this.ensureListening();
      this.dirty = false;
      let done = 0;
      let failed = false;
      try {
        done = (await this.sequenceOnce()).length;
        this.failures.succeeded();
      } catch (e) {
        failed = true;
        this.failures.failed(e);
      }
      // A failed pass always waits: failing fast while events keep being written (each one
      // wakes it), it looped without a pause.
      if ((failed || (done < BATCH_SIZE && !this.dirty)) && !this.stopped) {
        this.pausing = failed;
        await this.sleep(pollMs);
        this.pausing = false;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private onNotification(): void {
    // A wake-up during a pass runs another pass right after it; one during the pause after a
    // failed pass waits for the pause's end (each commit woke a failing pass again).
    this.dirty = true;
    if (!this.pausing) this.wake?.();
  }

  private async ensureListening(): Promise<void> {
    if (this.listener || this.stopped) return;
    const client = new Client({
      connectionString: this.config.get('DATABASE_URL', { infer: true }),
      connectionTimeoutMillis: 5000,
    });
    client.on('notification', () => this.onNotification());
    client.on('error', (e) => {
      this.logger.warn({ err: e }, 'events listener lost; polling until reconnected');
      if (this.listener === client) this.listener = null;
      client.end().catch(() => undefined);
    });
    try {
      await client.connect();
      await this.rows.listen(client);
      this.listener = client;
    } catch (e) {
      this.logger.warn({ err: e }, 'events listener could not connect; polling only');
      await client.end().catch(() => undefined);
    }
  }
}
