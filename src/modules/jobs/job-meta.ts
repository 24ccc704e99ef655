/**
 * What a job carries besides its payload, under one reserved key of its BullMQ data. The
 * dispatcher takes it off before a handler sees the payload, so handlers, webhook bodies and
 * JobPayloads never see it; the dashboard shows it with the data.
 */
export const JOB_META_KEY = '_meta';

export interface JobMeta {
  /** X-Request-Id of the request that (directly or through other jobs) started this job. */
  requestId?: string;
  /** How often the timer sweep re-armed this timer after it exhausted its retries. */
  timerRearms?: number;
  /** When the timer sweep gave up on it and logged the report (ISO). */
  timerReportedAt?: string;
  /**
   * The failure (its finishedOn, ms) the sweep ran the handler's gaveUp for: a job retried
   * from the dashboard that fails for good again is settled again.
   */
  gaveUpSettled?: number;
  /**
   * The payload is not in Redis: it stays in the job's outbox row (PAYLOAD_IN_OUTBOX), and the
   * dispatcher reads it from there.
   */
  payloadInOutbox?: true;
}

/** A payload and its meta, as BullMQ data. No meta → the payload as is. */
export function withJobMeta(payload: unknown, meta: JobMeta): unknown {
  const fields = Object.entries(meta).filter(([, v]) => v !== undefined && v !== null);
  if (fields.length === 0) return payload;
  return { ...(payload as object), [JOB_META_KEY]: Object.fromEntries(fields) };
}

/**
 * The BullMQ data of a job whose payload stays in its outbox row (PAYLOAD_IN_OUTBOX): its meta,
 * and a decoy for the release before this one. Its workers do not know `payloadInOutbox` and
 * would hand their handlers what is left, and on an empty payload the webhook fan-out finds no
 * webhook and completes: a delivery lost. `companyId` is not a uuid, so the fan-out's insert
 * fails on it, and the ledger's handler finds no event and fails too: the job is retried, by a
 * newer worker in time. test/webhooks.e2e-spec.ts holds both handlers to it.
 */
export function outboxPayloadData(meta: JobMeta): unknown {
  return withJobMeta({ companyId: 'payload-in-outbox' }, { ...meta, payloadInOutbox: true });
}

/** BullMQ data → the handler's payload and the meta beside it. */
export function splitJobData(data: unknown): { payload: unknown; meta: JobMeta } {
  if (typeof data !== 'object' || data === null || !(JOB_META_KEY in data)) {
    return { payload: data, meta: {} };
  }
  const { [JOB_META_KEY]: meta, ...payload } = data as Record<string, unknown>;
  return { payload, meta: (meta ?? {}) as JobMeta };
}
