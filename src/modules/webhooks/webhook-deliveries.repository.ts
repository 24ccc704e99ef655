import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { changedRows } from '../../database/sql';

/** A whole `webhook_deliveries` row: the delivery log's entry. */
export interface WebhookDeliveryRow {
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

/** What one delivery attempt needs: the delivery and its company's endpoint, if any is left. */
export interface DeliveryAttemptRow {
  status: string;
  payload: unknown;
  company_id: string;
  url: string | null;
  secret: string | null;
}

interface DeliveryIdRow {
  id: string;
}

interface DeliveryStatusRow {
  status: string;
}

/** The keyset position of a page of the log: after (created_at, id), newest first. */
export interface DeliveryCursor {
  createdAt: string;
  id: string;
}

/** `webhook_deliveries`: one row per (company, event), with its attempts. */
@Injectable()
export class WebhookDeliveriesRepository {
  /**
   * A delivery of the event to the company's endpoint, if it has one; null when it has none or
   * the event already has its delivery (uq_webhook_deliveries_event makes a repeat a no-op).
   */
  async insertForEvent(
    em: EntityManager,
    companyId: string,
    eventId: string,
    eventType: string,
    payloadJson: string,
  ): Promise<string | null> {
    const [delivery]: DeliveryIdRow[] = await em.query(
      `INSERT INTO webhook_deliveries (company_id, event_id, event_type, payload, url)
       SELECT $1, $2, $3, $4, url FROM webhook_endpoints WHERE company_id = $1
       ON CONFLICT ON CONSTRAINT uq_webhook_deliveries_event DO NOTHING
       RETURNING id`,
      [companyId, eventId, eventType, payloadJson],
    );
    return delivery ? delivery.id : null;
  }

  async forAttempt(em: EntityManager, id: string): Promise<DeliveryAttemptRow | undefined> {
    const [d]: DeliveryAttemptRow[] = await em.query(
      `SELECT d.status, d.payload, d.company_id, e.url, e.secret FROM webhook_deliveries d
         LEFT JOIN webhook_endpoints e ON e.company_id = d.company_id WHERE d.id = $1`,
      [id],
    );
    return d;
  }

  /** Records one attempt; a delivery once delivered stays delivered. */
  async recordAttempt(
    em: EntityManager,
    id: string,
    status: string,
    code: number | null,
    error: string | null,
    url: string | null,
  ): Promise<void> {
    await em.query(
      `UPDATE webhook_deliveries
          SET status = CASE WHEN status = 'delivered' THEN status ELSE $2 END,
              attempts = attempts + 1, last_attempt_at = now(),
              last_status_code = $3, last_error = $4, url = coalesce($5, url),
              delivered_at = CASE WHEN $2 = 'delivered' THEN now() ELSE delivered_at END
        WHERE id = $1`,
      [id, status, code, error, url],
    );
  }

  /** Up to `limit` of the company's deliveries after `after`, newest first. */
  pageOf(
    em: EntityManager,
    companyId: string,
    after: DeliveryCursor | null,
    limit: number,
  ): Promise<WebhookDeliveryRow[]> {
    return em.query(
      `SELECT * FROM webhook_deliveries
        WHERE company_id = $1
          AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $4`,
      [companyId, after?.createdAt ?? null, after?.id ?? null, limit],
    );
  }

  /** The company's delivery, locked; its status, or undefined if it has no such delivery. */
  async lockStatusOf(
    em: EntityManager,
    id: string,
    companyId: string,
  ): Promise<string | undefined> {
    const [current]: DeliveryStatusRow[] = await em.query(
      'SELECT status FROM webhook_deliveries WHERE id = $1 AND company_id = $2 FOR UPDATE',
      [id, companyId],
    );
    return current?.status;
  }

  /** Back to pending for a fresh retry chain. */
  async markPending(em: EntityManager, id: string): Promise<WebhookDeliveryRow> {
    const [row] = await changedRows<WebhookDeliveryRow>(
      em,
      `UPDATE webhook_deliveries SET status = 'pending', delivered_at = NULL
        WHERE id = $1 RETURNING *`,
      [id],
    );
    return row;
  }
}
