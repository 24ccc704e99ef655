import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { JobName, JobPayloads } from '../jobs/job-registry';

export interface EnqueueOptions {
  /** Earliest time the job may run (timers); default now. */
  runAt?: Date;
}

/**
 * The only way business code starts background work: a row written with the caller's
 * EntityManager, so the job exists if and only if the business change commits.
 */
@Injectable()
export class OutboxService {
  async enqueue<N extends JobName>(
    em: EntityManager,
    name: N,
    payload: JobPayloads[N],
    options: EnqueueOptions = {},
  ): Promise<string> {
    const rows: { id: string }[] = await em.query(
      `INSERT INTO outbox (job_name, payload, run_at) VALUES ($1, $2, COALESCE($3, now())) RETURNING id`,
      [name, JSON.stringify(payload), options.runAt ?? null],
    );
    return rows[0].id;
  }

  /** Several jobs in one statement (hot paths such as a ticket claim write two). */
  async enqueueMany(em: EntityManager, jobs: OutboxJob[]): Promise<void> {
    if (jobs.length === 0) return;
    await em.query(
      `INSERT INTO outbox (job_name, payload, run_at)
       SELECT name, payload, coalesce(run_at, now())
         FROM unnest($1::text[], $2::jsonb[], $3::timestamptz[]) AS j(name, payload, run_at)`,
      [
        jobs.map((j) => j.name),
        jobs.map((j) => JSON.stringify(j.payload)),
        jobs.map((j) => j.runAt ?? null),
      ],
    );
  }
}

/** One job to enqueue, with its type tied to its payload. */
export type OutboxJob = {
  [N in JobName]: { name: N; payload: JobPayloads[N]; runAt?: Date };
}[JobName];

/** BullMQ job id for an outbox row; relaying the same row twice yields the same job. */
export const outboxJobId = (rowId: string) => `outbox-${rowId}`;
