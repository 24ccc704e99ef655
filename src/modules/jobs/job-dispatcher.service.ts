import { Injectable, OnModuleInit, Type } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import type { Job } from 'bullmq';
import { PinoLogger } from 'nestjs-pino';
import { OutboxService, outboxRowId } from '../outbox/outbox.service';
import { runInJobContext } from './job-context';
import { HandlesJob, JOB_HANDLER_KEY } from './job-handler';
import { splitJobData } from './job-meta';
import { JOB_NAMES, JobName } from './job-registry';

type AnyHandler = HandlesJob<JobName>;

/**
 * Builds the name → handler table, refusing to start when a registered job has no handler,
 * two handlers claim one job, or a handler names a job that is not registered.
 */
export function buildHandlerTable(
  registered: readonly string[],
  found: { name: string; handler: AnyHandler; provider: string }[],
): Map<string, AnyHandler> {
  const table = new Map<string, AnyHandler>();
  const problems: string[] = [];
  for (const { name, handler, provider } of found) {
    if (!registered.includes(name)) problems.push(`${provider} handles unregistered job "${name}"`);
    else if (table.has(name))
      problems.push(`job "${name}" has more than one handler (${provider})`);
    else table.set(name, handler);
  }
  for (const name of registered) {
    if (!table.has(name)) problems.push(`job "${name}" has no @JobHandler provider`);
  }
  if (problems.length > 0) throw new Error(`Job registry is inconsistent: ${problems.join('; ')}`);
  return table;
}

@Injectable()
export class JobDispatcher implements OnModuleInit {
  private table = new Map<string, AnyHandler>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
    private readonly log: PinoLogger,
    private readonly outbox: OutboxService,
  ) {}

  onModuleInit(): void {
    const found = this.discovery
      .getProviders()
      .filter((w) => w.metatype && w.instance)
      .flatMap((w) =>
        (this.reflector.get<string[] | undefined>(JOB_HANDLER_KEY, w.metatype as Type) ?? []).map(
          (name) => ({ name, handler: w.instance as AnyHandler, provider: String(w.name) }),
        ),
      );
    this.table = buildHandlerTable(JOB_NAMES, found);
  }

  dispatch(job: Job): Promise<unknown> {
    return this.run(job, (handler, payload) => handler.handle(payload, job));
  }

  /** The jobs whose handlers settle a job that failed for good (HandlesJob.gaveUp). */
  namesWithGaveUp(): JobName[] {
    return [...this.table].filter(([, h]) => h.gaveUp).map(([name]) => name as JobName);
  }

  /** Runs the handler's gaveUp for a job that failed for good; true when it settled something. */
  gaveUp(job: Job): Promise<boolean> {
    return this.run(
      job,
      (handler, payload) => handler.gaveUp?.(payload, job) ?? Promise.resolve(false),
    );
  }

  private run<T>(job: Job, fn: (handler: AnyHandler, payload: never) => Promise<T>): Promise<T> {
    const handler = this.table.get(job.name);
    // Unreachable after onModuleInit's check unless a stale job from an older release remains.
    if (!handler) throw new Error(`No handler for job "${job.name}"`);
    // Handlers get the payload alone (JobPayloads); the meta (request id, sweep counts) stays
    // in job.data for the dashboard and the sweep. A job relayed before its payload stayed in
    // the outbox (an older release's, still queued) carries it, and runs on that.
    const { meta } = splitJobData(job.data);
    return runInJobContext(this.log.logger, job, meta.requestId ?? null, async () =>
      fn(handler, (await this.payloadOf(job)) as never),
    );
  }

  /**
   * What the job's handler is given: its data less the meta, or, for a PAYLOAD_IN_OUTBOX job,
   * the payload read from the outbox row its id names (failing when the row is gone).
   */
  async payloadOf(job: Job): Promise<unknown> {
    const { payload, meta } = splitJobData(job.data);
    if (!meta.payloadInOutbox) return payload;
    const rowId = outboxRowId(String(job.id));
    if (rowId === null) {
      throw new Error(`job ${String(job.id)} keeps its payload in the outbox but names no row`);
    }
    return this.outbox.payloadOfRow(rowId);
  }
}
