import { isIP } from 'node:net';
import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { Backoffs, Job } from 'bullmq';
import { DataSource, EntityManager } from 'typeorm';
import { SecretBoxError } from '../../common/crypto/secret-box';
import { currentRequestId } from '../../common/http/request-context';
import { REQUEST_ID_HEADER } from '../../common/http/request-id';
import { Env } from '../../config/env.validation';
import { EventsService } from '../events/events.service';
import { HandlesJob, JobDeferredError, JobHandler } from '../jobs/job-handler';
import { DomainMetrics } from '../metrics/domain-metrics';
import { JobPayloads } from '../jobs/job-registry';
import { CompanyDeliverySlots } from './company-delivery-slots';
import {
  AttemptRecord,
  DeliveryAttemptRow,
  RecordedAttemptRow,
  WebhookDeliveriesRepository,
} from './webhook-deliveries.repository';
import { DeliveryFailure, describeNetworkError, statusFailure } from './webhook-delivery-error';
import { postPinned } from './webhook-http';
import { WebhookSecrets } from './webhook-secrets.service';
import { SIGNATURE_HEADER, signatureHeader } from './webhook-signature';
import { RefusedTargetError, WebhookTargetPolicy } from './webhook-target.policy';

/** An attempt's result: the receiver's status (if it answered) and what went wrong (if so). */
interface AttemptResult {
  code: number | null;
  failure: DeliveryFailure | null;
  /** The endpoint or the delivery changed while the name resolved: nothing was sent. */
  stale?: true;
}

/**
 * One signed POST. A non-2xx answer or a network error fails the job, so BullMQ retries it with
 * exponential backoff (WEBHOOK_ATTEMPTS from WEBHOOK_BACKOFF_MS: about a day); every attempt is
 * recorded for the company to read, with the error named and the next attempt's time. Delivered
 * twice is possible (at-least-once), so receivers dedupe on the event id. The target is checked
 * before every attempt (WebhookTargetPolicy) and the connection goes only to the address
 * checked. The secret is read at each attempt: after a rotation, retries sign with the new one.
 * A company holds at most its share of the process's slots (CompanyDeliverySlots); a delivery
 * over it waits a moment, its attempts untouched.
 */
@Injectable()
@JobHandler('webhook.deliver')
export class WebhookDeliveryHandler implements HandlesJob<'webhook.deliver'> {
  private readonly logger = new Logger(WebhookDeliveryHandler.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: ConfigService<Env, true>,
    private readonly targets: WebhookTargetPolicy,
    private readonly secrets: WebhookSecrets,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly metrics: DomainMetrics,
    private readonly events: EventsService,
    private readonly slots: CompanyDeliverySlots,
  ) {}

  async handle(
    { deliveryId, companyId, chain }: JobPayloads['webhook.deliver'],
    job: Job,
  ): Promise<{ status: string }> {
    // The company's share is checked before anything is read: a backlog over it costs the slot
    // no pool connection while it waits its turn. (Jobs written before the payload named the
    // company read it first.)
    const owner =
      companyId ?? (await this.deliveries.forAttempt(this.db.manager, deliveryId))?.company_id;
    if (!owner) return { status: 'missing' };
    if (!this.slots.tryTake(owner)) {
      this.metrics.webhookDeliveryDeferred();
      throw new JobDeferredError(this.slots.deferMs(job.attemptsStarted - job.attemptsMade - 1));
    }
    try {
      return await this.deliver(deliveryId, chain ?? 0, job);
    } finally {
      this.slots.release(owner);
    }
  }

  private async deliver(
    deliveryId: string,
    chain: number,
    job: Job,
    again = false,
  ): Promise<{ status: string }> {
    const d = await this.deliveries.forAttempt(this.db.manager, deliveryId);
    if (!d || d.status === 'delivered') return { status: d?.status ?? 'missing' };
    // A job run again after its worker died, its outcome recorded already (failed for good),
    // or a job of a retry chain a redelivery replaced: it would POST once more, record a second
    // webhook.failing, and, by failing a pending redelivery, allow another chain beside it.
    // (Jobs written before chains were numbered carry none: they belong to the first.)
    if (d.status !== 'pending' || Number(d.chain) !== chain) return { status: 'superseded' };
    if (!d.url || !d.secret) {
      const failure: DeliveryFailure = {
        kind: 'endpoint_removed',
        message: 'the webhook was removed',
      };
      await this.record(deliveryId, { status: 'failed', code: null, failure, url: null, chain });
      this.metrics.webhookDeliveryFailed(failure.kind, true);
      return { status: 'failed' };
    }
    const result = await this.attempt(deliveryId, d, !again);
    // Read again from the top (once): removed, it fails as removed; a new URL or secret is used.
    if (result.stale) return this.deliver(deliveryId, chain, job, true);
    const { code, failure } = result;
    if (failure === null) {
      await this.record(deliveryId, { status: 'delivered', code, failure, url: d.url, chain });
      return { status: 'delivered' };
    }
    const error = new Error(failure.message);
    if (failure.kind === 'refused_by_policy') {
      // The same URL and DNS will be refused on every retry for hours: fail it now. The
      // company fixes its URL (or DNS) and redelivers.
      await this.record(deliveryId, { status: 'failed', code, failure, url: d.url, chain });
      this.metrics.webhookDeliveryFailed(failure.kind, true);
      return { status: 'failed' };
    }
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    await this.record(deliveryId, {
      status: last ? 'failed' : 'pending',
      code,
      failure,
      url: d.url,
      retryInMs: last ? null : await retryDelayMs(job, error),
      chain,
    });
    this.metrics.webhookDeliveryFailed(failure.kind, last);
    this.logger.warn(
      { deliveryId, attempt: job.attemptsMade + 1, error: failure.message, kind: failure.kind },
      'webhook delivery failed',
    );
    // A failure recorded for good completes the job: the log and the webhook.failing event say
    // it, and the queue's failed set keeps only jobs that ended unrecorded (see gaveUp).
    if (last) return { status: 'failed' };
    throw error; // BullMQ schedules the retry
  }

  /**
   * The job failed for good with the delivery possibly still pending: its last attempt's
   * outcome was never recorded (that write failed) or its worker kept dying under it, and a
   * pending delivery cannot be redelivered. It fails now as `outcome_unknown`, with its
   * `webhook.failing` event, so the company learns of it and can redeliver (receivers dedupe on
   * the event id). A redelivery begun since (a later chain) is left alone.
   */
  async gaveUp({ deliveryId, chain }: JobPayloads['webhook.deliver']): Promise<boolean> {
    const failure: DeliveryFailure = {
      kind: 'outcome_unknown',
      message: 'delivery stopped before the outcome of its last attempt was recorded',
    };
    const failed = await this.db.transaction(async (em) => {
      // Jobs written before chains were numbered carry none: they belong to the first.
      const row = await this.deliveries.failAbandoned(em, deliveryId, chain ?? 0, failure);
      if (row) await this.recordFailing(em, deliveryId, row, null, failure);
      return !!row;
    });
    if (failed) this.metrics.webhookDeliveryFailed(failure.kind, true);
    return failed;
  }

  /**
   * Checks the target, signs with the current secret and POSTs once. Never throws. With
   * `recheck`, the endpoint is read again once its name has resolved (up to seconds): a removal
   * or rotation answered meanwhile sent one more POST to the old URL, or one signed with the old
   * secret. (Between that read and the POST, milliseconds remain.)
   */
  private async attempt(
    deliveryId: string,
    d: DeliveryAttemptRow,
    recheck: boolean,
  ): Promise<AttemptResult> {
    // A URL stored before URLs were checked as WHATWG parses them: refused, as the policy would.
    if (!URL.canParse(d.url!)) {
      const message = 'the webhook URL cannot be parsed';
      return { code: null, failure: { kind: 'refused_by_policy', message } };
    }
    const url = new URL(d.url!);
    const body = JSON.stringify(d.payload);
    const event = d.payload as { id: string; type: string };
    // The request that started this (an escalation, a resolve, a redelivery), for the
    // company's support to quote; the job runs in its context (JobDispatcher).
    const requestId = currentRequestId();
    try {
      const pinned = await this.targets.addressFor(url);
      // Only after a name was looked up: an address in the URL takes no time to "resolve".
      if (
        recheck &&
        isIP(url.hostname.replace(/^\[|\]$/g, '')) === 0 &&
        (await this.changedSince(deliveryId, d))
      ) {
        return { code: null, failure: null, stale: true };
      }
      const secret = this.secrets.reveal(d.company_id, d.secret!);
      // Sealing a secret still in clear is housekeeping: its failure is no reason not to send,
      // and the database's message is not the receiver's (the company reads lastError).
      await this.secrets
        .sealIfClear(d.company_id, d.secret!)
        .catch((e: unknown) =>
          this.logger.warn({ deliveryId, error: String(e) }, 'webhook secret not sealed'),
        );
      const code = await postPinned(
        url,
        pinned,
        {
          'Content-Type': 'application/json',
          'User-Agent': 'Handoff-Webhooks/1',
          [SIGNATURE_HEADER]: signatureHeader(secret, body, Math.floor(Date.now() / 1000)),
          'Handoff-Event': event.type,
          'Handoff-Event-Id': event.id,
          'Handoff-Delivery': deliveryId,
          ...(requestId ? { [REQUEST_ID_HEADER]: requestId } : {}),
        },
        body,
        this.config.get('WEBHOOK_TIMEOUT_MS', { infer: true }),
      );
      return { code, failure: statusFailure(code) };
    } catch (e) {
      if (e instanceof RefusedTargetError) {
        this.logger.warn(
          { deliveryId, error: e.message, address: e.address },
          'webhook target refused',
        );
        return { code: null, failure: { kind: 'refused_by_policy', message: e.message } };
      }
      if (e instanceof SecretBoxError) {
        const message = 'the signing secret could not be read';
        return { code: null, failure: { kind: 'secret_unreadable', message } };
      }
      return { code: null, failure: describeNetworkError(e, url) };
    }
  }

  private async changedSince(deliveryId: string, d: DeliveryAttemptRow): Promise<boolean> {
    const now = await this.deliveries.endpointNow(this.db.manager, deliveryId);
    return (
      now?.url !== d.url ||
      now.secret !== d.secret ||
      now.status !== d.status ||
      Number(now.chain) !== Number(d.chain)
    );
  }

  /**
   * Records the attempt; a delivery that failed for good also becomes a `webhook.failing`
   * event for the company, in the same transaction: a company whose receiver is down learns
   * of it from GET /v1/events or its stream, and catches up there.
   */
  private async record(
    id: string,
    a: Omit<AttemptRecord, 'retryInMs'> & { retryInMs?: number | null },
  ): Promise<void> {
    await this.db.transaction(async (em) => {
      const row = await this.deliveries.recordAttempt(em, id, { retryInMs: null, ...a });
      if (row?.status !== 'failed' || a.status !== 'failed') return;
      await this.recordFailing(em, id, row, a.code, a.failure);
    });
  }

  private recordFailing(
    em: EntityManager,
    id: string,
    row: RecordedAttemptRow,
    code: number | null,
    failure: DeliveryFailure | null,
  ): Promise<void> {
    return this.events.record(em, {
      type: 'webhook.failing',
      companyId: row.company_id,
      data: {
        deliveryId: id,
        eventId: row.event_id,
        eventType: row.event_type,
        attempts: row.attempts,
        lastStatusCode: code,
        errorKind: failure?.kind ?? null,
        error: failure?.message ?? null,
      },
    });
  }
}

/**
 * How long BullMQ will wait before retrying this job once this attempt fails: its own backoff
 * computation on the job's own options (WEBHOOK_BACKOFF_MS × 2^(attempt − 1) as configured), so
 * the log's nextAttemptAt cannot drift from the real schedule. (A jittered backoff would make
 * this an upper bound; none is configured.)
 */
async function retryDelayMs(job: Job, error: Error): Promise<number> {
  const backoff = job.opts.backoff === undefined ? undefined : Backoffs.normalize(job.opts.backoff);
  if (!backoff) return 0;
  const delay = await Backoffs.calculate(backoff, job.attemptsMade + 1, error, job);
  return typeof delay === 'number' && delay > 0 ? delay : 0;
}
