import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { currentRequestId } from '../../common/http/request-context';
import { JobName, JobPayloads } from '../jobs/job-registry';
import { OutboxDueRow, OutboxRepository } from './outbox.repository';

export interface EnqueueOptions {
  /** Earliest time the job may run (timers); default now. */
  runAt?: Date;
}

// Long enough for the writer's transaction to have committed in the usual case; a later commit
// is found by the relay's polling (OUTBOX_POLL_MS).
const NOTIFY_DELAY_MS = 20;

/**
 * The only way business code starts background work: a row written with the caller's
 * EntityManager, so the job exists if and only if the business change commits.
 */
@Injectable()
export class OutboxService implements OnModuleDestroy {
  private notifyTimer: NodeJS.Timeout | null = null;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly rows: OutboxRepository,
  ) {}

  /**
   * Wakes the relays soon after rows were written, outside any transaction: at most one NOTIFY
   * per NOTIFY_DELAY_MS per process, whatever the write rate. (A NOTIFY inside the writing
   * transaction would serialise every outbox-writing commit: migration OutboxNotifyAfterCommit.)
   */
  poke(): void {
    if (this.notifyTimer) return;
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = null;
      // Best effort: the relay polls anyway.
      this.rows.notifyRelays(this.db.manager).catch(() => undefined);
    }, NOTIFY_DELAY_MS);
    this.notifyTimer.unref();
  }

  onModuleDestroy(): void {
    if (this.notifyTimer) clearTimeout(this.notifyTimer);
  }

  /**
   * When the oldest job of this name still to finish was written (null: none): work caused
   * before that instant is done. Invoicing waits for the ledger's ticket events this way. It
   * reads the whole outbox (no index names finished_at, to keep finish marks HOT updates), so
   * call it once per sweep, not per row.
   */
  oldestUnfinished(em: EntityManager, name: JobName): Promise<Date | null> {
    return this.rows.oldestUnfinished(em, name);
  }

  /**
   * Writes one job's row. The current request's id (or the running job's: see
   * request-context.ts) goes with it, so the job and what it starts log and send it on.
   */
  async enqueue<N extends JobName>(
    em: EntityManager,
    name: N,
    payload: JobPayloads[N],
    options: EnqueueOptions = {},
  ): Promise<string> {
    const id = await this.rows.insert(
      em,
      name,
      JSON.stringify(payload),
      options.runAt ?? null,
      currentRequestId(),
    );
    this.poke();
    return id;
  }

  /** Several jobs in one statement (hot paths such as a ticket claim write two). */
  async enqueueMany(em: EntityManager, jobs: OutboxJob[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.rows.insertMany(
      em,
      jobs.map((j) => j.name),
      jobs.map((j) => JSON.stringify(j.payload)),
      jobs.map((j) => j.runAt ?? null),
      currentRequestId(),
    );
    this.poke();
  }

  /**
   * One job per row of a query whose single column is the job's payload (jsonb), in one
   * statement: bulk work such as a payout run's lines without carrying thousands of ids through
   * the application.
   */
  async enqueueSelect<N extends JobName>(
    em: EntityManager,
    name: N,
    payloadsSql: string,
    params: unknown[],
  ): Promise<void> {
    await this.rows.insertSelected(em, name, payloadsSql, params, currentRequestId());
    this.poke();
  }

  /**
   * The payload of the job relayed from this outbox row (PAYLOAD_IN_OUTBOX: Redis holds its id
   * alone). Fails when the row is gone, so the job fails where it can be seen and retried,
   * rather than running on nothing.
   */
  async payloadOfRow(rowId: string): Promise<unknown> {
    const payload = await this.rows.payloadOf(this.db.manager, rowId);
    if (payload === undefined) throw new Error(`outbox row ${rowId} is gone: no payload to run`);
    return payload;
  }

  /**
   * When the event behind this outbox row happened, by the database's clock (the row is written
   * in the event's own transaction), as a timestamptz's text (to the microsecond); undefined
   * when the row is gone.
   */
  writtenAtOfRow(em: EntityManager, rowId: string): Promise<string | undefined> {
    return this.rows.writtenAt(em, rowId);
  }

  /** The relay's backlog, per job: due rows not yet sent to the queues (read by /metrics). */
  dueUnsent(lateSeconds: number): Promise<OutboxDueRow[]> {
    return this.rows.dueUnsent(this.db.manager, lateSeconds);
  }
}

/** One job to enqueue, with its type tied to its payload. */
export type OutboxJob = {
  [N in JobName]: { name: N; payload: JobPayloads[N]; runAt?: Date };
}[JobName];

/** BullMQ job id for an outbox row; relaying the same row twice yields the same job. */
export const outboxJobId = (rowId: string) => `outbox-${rowId}`;

/** The outbox row behind a BullMQ job id, or null for a job that did not come from the outbox. */
export function outboxRowId(jobId: string): string | null {
  const match = /^outbox-(\d+)$/.exec(jobId);
  return match ? match[1] : null;
}
