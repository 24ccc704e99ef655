import type { Job } from 'bullmq';
import { Store, storage } from 'nestjs-pino/storage';
import type { Logger } from 'pino';
import { runWithoutRequestContext, runWithRequestContext } from '../../common/http/request-context';

/** The fields every log line a job writes carries: which job, and the request behind it. */
export function jobLogBindings(job: Job, requestId: string | null): Record<string, unknown> {
  return {
    ...(requestId ? { requestId } : {}),
    job: { queue: job.queueName, name: job.name, id: job.id, attempt: job.attemptsMade + 1 },
  };
}

/**
 * Runs a job's handler in the job's context: nestjs-pino's store holds a child logger with
 * jobLogBindings (every Nest Logger call inside logs through it, as a request's lines carry
 * req.id), and the request context holds the originating request id, so outbox rows the
 * handler writes carry it on. A job no request started runs with none, never a stray one.
 */
export function runInJobContext<T>(
  root: Logger,
  job: Job,
  requestId: string | null,
  fn: () => Promise<T>,
): Promise<T> {
  const logged = () => storage.run(new Store(root.child(jobLogBindings(job, requestId))), fn);
  return requestId
    ? runWithRequestContext({ requestId }, logged)
    : runWithoutRequestContext(logged);
}
