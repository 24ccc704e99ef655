import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { requireCompany } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { randomSecret } from '../../common/crypto/tokens';
import { DomainError } from '../../common/errors/domain-error';
import { decodeCursor, Page, toPage } from '../../common/pagination/page';
import { OutboxService } from '../outbox/outbox.service';
import {
  DeliveryStatus,
  WebhookDeliveryDto,
  WebhookDto,
  WebhookSetDto,
  WebhookWithSecretDto,
} from './webhook.dto';
import { toWebhookDeliveryDto, toWebhookDto } from './webhook.mapper';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { pingPayload, WebhookEventType } from './webhook-payload';
import { WebhookSecrets } from './webhook-secrets.service';
import { WebhookTargetPolicy } from './webhook-target.policy';

const notConfigured = () => new DomainError('WEBHOOK_NOT_CONFIGURED', 'No webhook is set');

const newSecret = () => `whsec_${randomSecret(32)}`;

/** A company's webhook endpoint, its secret, and its delivery log. */
@Injectable()
export class WebhooksService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxService,
    private readonly targets: WebhookTargetPolicy,
    private readonly secrets: WebhookSecrets,
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly deliveryLog: WebhookDeliveriesRepository,
  ) {}

  /**
   * Sets the endpoint's URL. The first time, it also creates the signing secret, returned this
   * once and stored only encrypted; later calls keep the secret (a URL change must not break a
   * receiver that verifies signatures). The URL must lead to a public address.
   */
  async set(actor: Actor, url: string): Promise<WebhookSetDto> {
    const companyId = requireCompany(actor);
    await this.targets.checkOnSet(url);
    const secret = newSecret(); // used only if this call creates the endpoint
    const row = await this.endpoints.upsertKeepingSecret(
      this.db.manager,
      companyId,
      url,
      this.secrets.seal(companyId, secret),
    );
    return { ...toWebhookDto(row), secret: row.created ? secret : null };
  }

  /**
   * A new signing secret, returned this once. It signs every attempt from now on, retries of
   * pending deliveries included (they sign at send time); the old one signs nothing more.
   */
  async rotateSecret(actor: Actor): Promise<WebhookWithSecretDto> {
    const companyId = requireCompany(actor);
    const secret = newSecret();
    const row = await this.endpoints.rotateSecret(
      this.db.manager,
      companyId,
      this.secrets.seal(companyId, secret),
    );
    if (!row) throw notConfigured();
    return { ...toWebhookDto(row), secret };
  }

  async get(actor: Actor): Promise<WebhookDto> {
    const companyId = requireCompany(actor);
    const row = await this.endpoints.findOf(this.db.manager, companyId);
    if (!row) throw notConfigured();
    return toWebhookDto(row);
  }

  /**
   * Removes the webhook and fails its pending deliveries at once: a retry due after a new URL
   * was set would otherwise POST the old event (conversation text included) to that URL,
   * signed with its secret.
   */
  async remove(actor: Actor): Promise<void> {
    const companyId = requireCompany(actor);
    await this.db.transaction(async (em) => {
      const removed = await this.endpoints.remove(em, companyId);
      if (removed === 0) throw notConfigured();
      await this.deliveryLog.failPendingOf(em, companyId, {
        kind: 'endpoint_removed',
        message: 'the webhook was removed',
      });
    });
  }

  /**
   * Sends a `ping` event through the delivery path every event takes (target policy, signature,
   * retries, the log), and returns its delivery, still pending.
   */
  async sendPing(actor: Actor): Promise<WebhookDeliveryDto> {
    const companyId = requireCompany(actor);
    const eventId = randomUUID();
    const payload = pingPayload(eventId, companyId, new Date());
    return this.db.transaction(async (em) => {
      const row = await this.deliveryLog.insertNew(
        em,
        companyId,
        eventId,
        'ping',
        JSON.stringify(payload),
      );
      if (!row) throw notConfigured();
      await this.outbox.enqueue(em, 'webhook.deliver', {
        deliveryId: row.id,
        chain: row.chain,
        companyId,
      });
      return toWebhookDeliveryDto(row);
    });
  }

  /** The log, newest first; the filters apply to every page (the cursor is only a position). */
  async deliveries(
    actor: Actor,
    query: {
      limit: number;
      cursor?: string;
      status?: DeliveryStatus[];
      event?: WebhookEventType[];
    },
  ): Promise<Page<WebhookDeliveryDto>> {
    const companyId = requireCompany(actor);
    const after = decodeCursor(query.cursor, ['instant', 'uuid']);
    const rows = await this.deliveryLog.pageOf(
      this.db.manager,
      companyId,
      { statuses: query.status ?? null, eventTypes: query.event ?? null },
      after && { createdAt: after[0], id: after[1] },
      query.limit + 1,
    );
    return toPage(rows, query.limit, toWebhookDeliveryDto, (r) => [r.cursor_at, r.id]);
  }

  /** Sends a delivery again (whatever its state), with a fresh retry schedule. */
  async redeliver(actor: Actor, id: string): Promise<WebhookDeliveryDto> {
    const companyId = requireCompany(actor);
    return this.db.transaction(async (em) => {
      const current = await this.deliveryLog.lockStatusOf(em, id, companyId);
      if (current === undefined) throw DomainError.notFound('Webhook delivery');
      // One retry chain at a time: a second would race the first and double the traffic. Not
      // for ever, though: a chain whose next attempt is an hour late lost its job (Redis lost
      // it past the reconciler's window, late in a day-long chain), and only a new chain ends
      // it; should the old job turn up, its chain number is stale and it stops.
      if (current.status === 'pending' && !current.stalled) {
        throw new DomainError('DELIVERY_IN_PROGRESS', 'This delivery is still being retried');
      }
      const row = await this.deliveryLog.markPending(em, id);
      await this.outbox.enqueue(em, 'webhook.deliver', {
        deliveryId: id,
        chain: row.chain,
        companyId,
      });
      return toWebhookDeliveryDto(row);
    });
  }
}
