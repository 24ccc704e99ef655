import { WebhookDeliveryDto, WebhookDto } from './webhook.dto';
import { WebhookDeliveryRow } from './webhook-deliveries.repository';
import { WebhookEndpointRow } from './webhook-endpoints.repository';

export const toWebhookDto = (r: WebhookEndpointRow): WebhookDto => ({
  url: r.url,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const toWebhookDeliveryDto = (r: WebhookDeliveryRow): WebhookDeliveryDto => ({
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
