import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireCompany } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { randomSecret } from '../../common/crypto/tokens';
import { DomainError } from '../../common/errors/domain-error';
import { decodeCursor, Page, toPage } from '../../common/pagination/page';
import { OutboxService } from '../outbox/outbox.service';
import { WebhookDeliveryDto, WebhookDto, WebhookWithSecretDto } from './webhook.dto';
import { toWebhookDeliveryDto, toWebhookDto } from './webhook.mapper';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { WebhookSecrets } from './webhook-secrets.service';
import { WebhookTargetPolicy } from './webhook-target.policy';

/** A company's webhook endpoint and its delivery log. */
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
   * Sets (or replaces) the endpoint with a fresh signing secret, returned this once and stored
   * only encrypted. The URL must lead to a public address (WebhookTargetPolicy).
   */
  async set(actor: Actor, url: string): Promise<WebhookWithSecretDto> {
    const companyId = requireCompany(actor);
    await this.targets.checkOnSet(url);
    const secret = `whsec_${randomSecret(32)}`;
    const row = await this.endpoints.upsert(
      this.db.manager,
      companyId,
      url,
      this.secrets.seal(companyId, secret),
    );
    return { ...toWebhookDto(row), secret };
  }

  async get(actor: Actor): Promise<WebhookDto> {
    const companyId = requireCompany(actor);
    const row = await this.endpoints.findOf(this.db.manager, companyId);
    if (!row) throw new DomainError('WEBHOOK_NOT_CONFIGURED', 'No webhook is set');
    return toWebhookDto(row);
  }

  async remove(actor: Actor): Promise<void> {
    const companyId = requireCompany(actor);
    const removed = await this.endpoints.remove(this.db.manager, companyId);
    if (removed === 0) throw new DomainError('WEBHOOK_NOT_CONFIGURED', 'No webhook is set');
  }

  async deliveries(
    actor: Actor,
    limit: number,
    cursor?: string,
  ): Promise<Page<WebhookDeliveryDto>> {
    const companyId = requireCompany(actor);
    const after = decodeCursor(cursor, ['instant', 'uuid']);
    const rows = await this.deliveryLog.pageOf(
      this.db.manager,
      companyId,
      after && { createdAt: after[0], id: after[1] },
      limit + 1,
    );
    return toPage(rows, limit, toWebhookDeliveryDto, (r) => [r.created_at.toISOString(), r.id]);
  }

  /** Sends a delivery again (whatever its state), with a fresh retry schedule. */
  async redeliver(actor: Actor, id: string): Promise<WebhookDeliveryDto> {
    const companyId = requireCompany(actor);
    return this.db.transaction(async (em) => {
      const status = await this.deliveryLog.lockStatusOf(em, id, companyId);
      if (status === undefined) throw DomainError.notFound('Webhook delivery');
      // One retry chain at a time: a second would race the first and double the traffic.
      if (status === 'pending') {
        throw new DomainError('DELIVERY_IN_PROGRESS', 'This delivery is still being retried');
      }
      const row = await this.deliveryLog.markPending(em, id);
      await this.outbox.enqueue(em, 'webhook.deliver', { deliveryId: id });
      return toWebhookDeliveryDto(row);
    });
  }
}
