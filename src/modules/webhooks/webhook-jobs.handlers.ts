import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job } from 'bullmq';
import { DataSource } from 'typeorm';
import { Env } from '../../config/env.validation';
import { HandlesJob, JobHandler } from '../jobs/job-handler';
import {
  JobPayloads,
  TICKET_EVENT_TYPES,
  TicketEvent,
  TicketEventType,
} from '../jobs/job-registry';
import { SecretBoxError } from '../../common/crypto/secret-box';
import { OutboxService } from '../outbox/outbox.service';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { postPinned } from './webhook-http';
import { WebhookSecrets } from './webhook-secrets.service';
import { SIGNATURE_HEADER, signatureHeader } from './webhook-signature';
import { RefusedTargetError, WebhookTargetPolicy } from './webhook-target.policy';

/**
 * Turns each ticket event into a delivery for the company's webhook, if it has one. The
 * (company, event) unique key makes a repeated event a no-op.
 */
@Injectable()
@JobHandler(...TICKET_EVENT_TYPES)
export class WebhookFanOutHandler implements HandlesJob<TicketEventType> {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxService,
    private readonly deliveries: WebhookDeliveriesRepository,
  ) {}

  handle(event: TicketEvent, job: Job): Promise<{ deliveryId: string | null }> {
    const { eventId, companyId, occurredAt, ...rest } = event;
    const payload = { id: eventId, type: job.name, createdAt: occurredAt, data: rest };
    return this.db.transaction(async (em) => {
      const deliveryId = await this.deliveries.insertForEvent(
        em,
        companyId,
        eventId,
        job.name,
        JSON.stringify(payload),
      );
      if (!deliveryId) return { deliveryId: null };
      await this.outbox.enqueue(em, 'webhook.deliver', { deliveryId });
      return { deliveryId };
    });
  }
}

/**
 * One signed POST. A non-2xx answer or a network error fails the job, so BullMQ retries it with
 * exponential backoff (WEBHOOK_ATTEMPTS from WEBHOOK_BACKOFF_MS: about a day); every attempt is
 * recorded for the company to read. Delivered twice is possible (at-least-once), so receivers
 * dedupe on the event id. The target is checked before every attempt (WebhookTargetPolicy) and
 * the connection goes only to the address checked.
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
  ) {}

  async handle(
    { deliveryId }: JobPayloads['webhook.deliver'],
    job: Job,
  ): Promise<{ status: string }> {
    const d = await this.deliveries.forAttempt(this.db.manager, deliveryId);
    if (!d || d.status === 'delivered') return { status: d?.status ?? 'missing' };
    if (!d.url || !d.secret) {
      await this.record(deliveryId, 'failed', null, 'the webhook was removed', null);
      return { status: 'failed' };
    }
    const body = JSON.stringify(d.payload);
    const timestamp = Math.floor(Date.now() / 1000);
    const event = d.payload as { id: string; type: string };
    let status: number | null = null;
    let error: string | null = null;
    try {
      const url = new URL(d.url);
      const pinned = await this.targets.addressFor(url);
      const secret = this.secrets.reveal(d.company_id, d.secret);
      await this.secrets.sealIfClear(d.company_id, d.secret);
      status = await postPinned(
        url,
        pinned,
        {
          'Content-Type': 'application/json',
          'User-Agent': 'Handoff-Webhooks/1',
          [SIGNATURE_HEADER]: signatureHeader(secret, body, timestamp),
          'Handoff-Event': event.type,
          'Handoff-Event-Id': event.id,
          'Handoff-Delivery': deliveryId,
        },
        body,
        this.config.get('WEBHOOK_TIMEOUT_MS', { infer: true }),
      );
      if (status >= 300 && status < 400) {
        error = `receiver answered ${status}; redirects are not followed`;
      } else if (status < 200 || status >= 300) {
        error = `receiver answered ${status}`;
      }
    } catch (e) {
      if (e instanceof RefusedTargetError) {
        // The same URL and DNS will be refused on every retry for hours: fail it now. The
        // company fixes its URL (or DNS) and redelivers.
        await this.record(deliveryId, 'failed', null, e.message, d.url);
        this.logger.warn(
          { deliveryId, error: e.message, address: e.address },
          'webhook target refused',
        );
        return { status: 'failed' };
      }
      error =
        e instanceof SecretBoxError ? 'the signing secret could not be read' : (e as Error).message;
    }
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const outcome = error === null ? 'delivered' : last ? 'failed' : 'pending';
    await this.record(deliveryId, outcome, status, error, d.url);
    if (error !== null) {
      this.logger.warn(
        { deliveryId, attempt: job.attemptsMade + 1, error },
        'webhook delivery failed',
      );
      throw new Error(error); // BullMQ schedules the retry
    }
    return { status: outcome };
  }

  /** Records one attempt; a delivery once delivered stays delivered. */
  private async record(
    id: string,
    status: string,
    code: number | null,
    error: string | null,
    url: string | null,
  ) {
    await this.deliveries.recordAttempt(this.db.manager, id, status, code, error, url);
  }
}
