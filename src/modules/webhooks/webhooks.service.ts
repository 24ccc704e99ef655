import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireCompany } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { randomSecret } from '../../common/crypto/tokens';
import { DomainError } from '../../common/errors/domain-error';
import { decodeCursor, Page, toPage } from '../../common/pagination/page';
import { changedRows } from '../../database/sql';
import { OutboxService } from '../outbox/outbox.service';
import { WebhookDeliveryDto, WebhookDto, WebhookWithSecretDto } from './webhook.dto';
import { WebhookSecrets } from './webhook-secrets.service';
import { WebhookTargetPolicy } from './webhook-target.policy';

interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_at: Date | null;
  delivered_at: Date | null;
  created_at: Date;
  payload: Record<string, unknown>;
}

const toDelivery = (r: DeliveryRow): WebhookDeliveryDto => ({
  id: r.id,
  eventId: r.event_id,
  eventType: r.event_type,
  status: r.status,
  attempts: r.attempts,
  lastStatusCode: r.last_status_code,
  lastError: r.last_error,
  lastAttemptAt: r.last_attempt_at,
  deliveredAt: r.delivered_at,
  createdAt: r.created_at,
  payload: r.payload,
});

/** A company's webhook endpoint and its delivery log. */
@Injectable()
export class WebhooksService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxService,
    private readonly targets: WebhookTargetPolicy,
    private readonly secrets: WebhookSecrets,
  ) {}

  /**
   * Sets (or replaces) the endpoint with a fresh signing secret, returned this once and stored
   * only encrypted. The URL must lead to a public address (WebhookTargetPolicy).
   */
  async set(actor: Actor, url: string): Promise<WebhookWithSecretDto> {
    const companyId = requireCompany(actor);
    await this.targets.checkOnSet(url);
    const secret = `whsec_${randomSecret(32)}`;
    const [row]: { url: string; created_at: Date; updated_at: Date }[] = await this.db.query(
      `INSERT INTO webhook_endpoints (company_id, url, secret) VALUES ($1, $2, $3)
       ON CONFLICT (company_id) DO UPDATE SET url = EXCLUDED.url, secret = EXCLUDED.secret,
                                              updated_at = now()
       RETURNING url, created_at, updated_at`,
      [companyId, url, this.secrets.seal(companyId, secret)],
    );
    return { url: row.url, createdAt: row.created_at, updatedAt: row.updated_at, secret };
  }

  async get(actor: Actor): Promise<WebhookDto> {
    const companyId = requireCompany(actor);
    const [row]: { url: string; created_at: Date; updated_at: Date }[] = await this.db.query(
      'SELECT url, created_at, updated_at FROM webhook_endpoints WHERE company_id = $1',
      [companyId],
    );
    if (!row) throw new DomainError('WEBHOOK_NOT_CONFIGURED', 'No webhook is set');
    return { url: row.url, createdAt: row.created_at, updatedAt: row.updated_at };
  }

  async remove(actor: Actor): Promise<void> {
    const companyId = requireCompany(actor);
    const [, removed] = await this.db.query('DELETE FROM webhook_endpoints WHERE company_id = $1', [
      companyId,
    ]);
    if (removed === 0) throw new DomainError('WEBHOOK_NOT_CONFIGURED', 'No webhook is set');
  }

  async deliveries(
    actor: Actor,
    limit: number,
    cursor?: string,
  ): Promise<Page<WebhookDeliveryDto>> {
    const companyId = requireCompany(actor);
    const after = decodeCursor(cursor, ['instant', 'uuid']);
    const rows: DeliveryRow[] = await this.db.query(
      `SELECT * FROM webhook_deliveries
        WHERE company_id = $1
          AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $4`,
      [companyId, after?.[0] ?? null, after?.[1] ?? null, limit + 1],
    );
    return toPage(rows, limit, toDelivery, (r) => [r.created_at.toISOString(), r.id]);
  }

  /** Sends a delivery again (whatever its state), with a fresh retry schedule. */
  async redeliver(actor: Actor, id: string): Promise<WebhookDeliveryDto> {
    const companyId = requireCompany(actor);
    return this.db.transaction(async (em) => {
      const [current]: { status: string }[] = await em.query(
        'SELECT status FROM webhook_deliveries WHERE id = $1 AND company_id = $2 FOR UPDATE',
        [id, companyId],
      );
      if (!current) throw DomainError.notFound('Webhook delivery');
      // One retry chain at a time: a second would race the first and double the traffic.
      if (current.status === 'pending') {
        throw new DomainError('DELIVERY_IN_PROGRESS', 'This delivery is still being retried');
      }
      const [row] = await changedRows<DeliveryRow>(
        em,
        `UPDATE webhook_deliveries SET status = 'pending', delivered_at = NULL
          WHERE id = $1 RETURNING *`,
        [id],
      );
      await this.outbox.enqueue(em, 'webhook.deliver', { deliveryId: id });
      return toDelivery(row);
    });
  }
}
