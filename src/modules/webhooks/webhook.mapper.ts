import { DeliveryStatus, WebhookDeliveryDto, WebhookDto } from './webhook.dto';
import { WebhookDeliveryRow } from './webhook-deliveries.repository';
import { WebhookEndpointRow } from './webhook-endpoints.repository';
import { WebhookEventType } from './webhook-payload';

export const toWebhookDto = (r: WebhookEndpointRow): WebhookDto => ({
  url: r.url,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const toWebhookDeliveryDto = (r: WebhookDeliveryRow): WebhookDeliveryDto => ({
  id: r.id,
  eventId: r.event_id,
  // ck_webhook_deliveries_status holds the statuses; event types are only ever ours.
  eventType: r.event_type as WebhookEventType,
  status: r.status as DeliveryStatus,
  attempts: r.attempts,
  lastStatusCode: r.last_status_code,
  lastError: r.last_error,
  lastErrorKind: r.last_error_kind,
  lastAttemptAt: r.last_attempt_at,
  nextAttemptAt: r.next_attempt_at,
  deliveredAt: r.delivered_at,
  createdAt: r.created_at,
  payload: r.payload,
});
