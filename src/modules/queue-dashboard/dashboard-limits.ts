import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { QUEUE_DASHBOARD_PATH } from './queue-dashboard-access.service';

/**
 * What the dashboard may change: retrying failed jobs (the runbooks' step; bull-board would
 * also run completed ones again, a day's finished work at one click: refused), and pausing or
 * resuming a queue during an incident. Everything else bull-board offers (adding a job,
 * rewriting its data, delay or priority, removing or cleaning jobs, emptying or obliterating a
 * queue, promoting timers, changing concurrency or rate limits) would forge, drop or reschedule
 * work that the outbox and the handlers own: refused, for admins too.
 */
const under = (route: string) => route.replace(' /', ` ${QUEUE_DASHBOARD_PATH}/`);
/** One job's retry: of a failed job only, which the gate retries itself (queue-dashboard.module). */
export const RETRY_JOB = under('PUT /api/queues/:queueName/:jobId/retry');
const RETRY_ALL = under('PUT /api/queues/:queueName/retry/:queueStatus');
const CHANGES_ALLOWED = new Set(
  [
    'PUT /api/queues/:queueName/pause',
    'PUT /api/queues/:queueName/resume',
    'PUT /api/queues/pause',
    'PUT /api/queues/resume',
  ].map(under),
);

/**
 * Whether a request to the dashboard's matched route (its pattern) only reads or is allowed,
 * as far as its route and parameters tell (a job's retry also needs the job failed: RETRY_JOB).
 */
export function dashboardRequestAllowed(
  method: string,
  route: string | undefined,
  params: Record<string, string | undefined>,
): boolean {
  if (method === 'GET' || method === 'HEAD') return true;
  const call = `${method} ${route}`;
  if (call === RETRY_ALL) return params.queueStatus === 'failed';
  return call === RETRY_JOB || CHANGES_ALLOWED.has(call);
}

/** Fields of a job's data that hold what customers, agents and bots wrote. */
const TEXT_FIELDS = new Set(['body', 'resolutionSummary', 'reason', 'note']);

/**
 * A job's data as the dashboard shows it: messages to customers, resolution summaries, reasons
 * and notes replaced (ticket events carry them to the companies' bots and the ledger). An admin
 * has no API to read a company's conversations; the dashboard must not be one.
 */
export function withoutCustomerText(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutCustomerText);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key,
      TEXT_FIELDS.has(key) && typeof v === 'string' ? '[not shown]' : withoutCustomerText(v),
    ]),
  );
}

/** bull-board's BullMQ adapter, showing job data without customer text. */
export class RedactingBullMQAdapter extends BullMQAdapter {
  constructor(...args: ConstructorParameters<typeof BullMQAdapter>) {
    super(...args);
    this.setFormatter('data', withoutCustomerText);
  }
}
