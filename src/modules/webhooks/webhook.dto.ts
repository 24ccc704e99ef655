import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsIn, IsOptional, IsUrl, Matches } from 'class-validator';
import { MaxLength } from '../../common/validation/text-and-numbers';
import { ApiInteger } from '../../common/http/openapi-property';
import { PageQueryDto } from '../../common/pagination/page.dto';
import { DELIVERY_ERROR_KINDS, DeliveryErrorKind } from './webhook-delivery-error';
import { WEBHOOK_EVENT_TYPES, WebhookEventType } from './webhook-payload';
import { COMMA_SEPARATED, commaList } from '../../common/validation/comma-list';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export class SetWebhookDto {
  /**
   * Where events are POSTed. Use https in production. It must reach a public address (not
   * loopback, private, link-local…), carry no credentials, and answer 2xx itself: redirects are
   * not followed.
   * @example https://hooks.acme.test/handoff
   */
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { message: 'url must be an http(s) URL' },
  )
  // The database insists on a lower-case scheme with //; say so here rather than with a 500.
  @Matches(/^https?:\/\//, { message: 'url must start with http:// or https://' })
  @MaxLength(2000)
  url: string;
}

export class WebhookDto {
  /** @example https://hooks.acme.test/handoff */
  url: string;
  /** @example 2030-04-28T14:10:00.000Z */
  createdAt: Date;
  /**
   * The last change of the URL or of the secret.
   * @example 2030-05-02T09:30:00.000Z
   */
  updatedAt: Date;
}

export class WebhookSetDto extends WebhookDto {
  /**
   * The signing secret when this call created the webhook, shown only here. null when the
   * webhook already existed: its secret is unchanged (POST …/webhook/rotate-secret for a new one).
   */
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'whsec_q3Vt9Lx2Rb7Nw4Kc8Ym1Hs6Dp0Fg5Ja2Ze9Ui4Oo7Xq',
  })
  secret: string | null;
}

export class WebhookWithSecretDto extends WebhookDto {
  /**
   * The new signing secret, shown only in this response; the old one no longer signs.
   * @example whsec_q3Vt9Lx2Rb7Nw4Kc8Ym1Hs6Dp0Fg5Ja2Ze9Ui4Oo7Xq
   */
  secret: string;
}

export class WebhookDeliveryDto {
  /** @example 4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d */
  id: string;
  /**
   * The event's id, the same on every attempt and redelivery (the payload's `id`).
   * @example 6f1e2d3c-4b5a-4968-b7a6-5f4e3d2c1b0a
   */
  eventId: string;
  /** @example ticket.resolved */
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES })
  eventType: WebhookEventType;
  /** @example pending */
  @ApiProperty({ enum: DELIVERY_STATUSES })
  status: DeliveryStatus;
  /** @example 2 */
  @ApiInteger()
  attempts: number;
  /**
   * The receiver's HTTP status at the last attempt; null when no answer came.
   * @example 503
   */
  @ApiInteger()
  lastStatusCode: number | null;
  /**
   * What went wrong at the last attempt, for people ("connection refused by host:443").
   * @example "receiver answered 503"
   */
  lastError: string | null;
  /**
   * What went wrong at the last attempt, for programs; null when it succeeded.
   * @example http_status
   */
  @ApiProperty({ enum: DELIVERY_ERROR_KINDS, nullable: true })
  lastErrorKind: DeliveryErrorKind | null;
  /** @example 2030-05-04T09:32:10.000Z */
  lastAttemptAt: Date | null;
  /**
   * When the next attempt is due, while the delivery is pending (right away for one not tried
   * yet); null once delivered or failed. A time in the past means the workers are behind.
   * @example 2030-05-04T09:34:10.000Z
   */
  nextAttemptAt: Date | null;
  /** @example 2030-05-04T09:34:11.000Z */
  deliveredAt: Date | null;
  /** @example 2030-05-04T09:31:41.000Z */
  createdAt: Date;
  /**
   * Exactly what was (or will be) POSTed.
   * @example {"id": "6f1e2d3c-4b5a-4968-b7a6-5f4e3d2c1b0a", "type": "ticket.resolved", "createdAt": "2030-05-04T09:31:40.000Z", "data": {"ticketId": "e410f6b2-3c7d-4e8a-9b1f-6d2c5a8e7f30", "companyId": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "externalId": "conv-8842", "agentId": "3f2b8c1e-5d4a-4e7f-9b6c-2a1d0e9f8c7b", "claimId": "a7d3e9f1-2b4c-4d6e-8f0a-1c3e5b7d9f2a", "data": {"resolutionSummary": "Refunded the duplicate charge and confirmed with the customer.", "pay": {"amountMinor": 250, "currency": "EUR"}}}}
   */
  payload: Record<string, unknown>;
}

export class WebhookDeliveryPageDto {
  items: WebhookDeliveryDto[];
  /**
   * Pass as `cursor` for the next page; null on the last page.
   * @example WyIyMDMwLTA1LTA0VDA5OjMxOjQxLjAwMFoiLCI0YTViNmM3ZC04ZTlmLTRhMGItOWMxZC0yZTNmNGE1YjZjN2QiXQ
   */
  nextCursor: string | null;
}

export class ListDeliveriesQueryDto extends PageQueryDto {
  /** Only deliveries in these states, comma-separated: `failed`, `pending,failed`. */
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES, isArray: true, ...COMMA_SEPARATED })
  @IsOptional()
  @Transform(commaList)
  @ArrayMaxSize(DELIVERY_STATUSES.length * 2)
  @IsIn(DELIVERY_STATUSES, {
    each: true,
    message: `status must be one or more of ${DELIVERY_STATUSES.join(', ')}, comma-separated`,
  })
  status?: DeliveryStatus[];

  /** Only these event types, comma-separated: `ticket.resolved,ticket.reopened`, `ping`. */
  @ApiPropertyOptional({ enum: WEBHOOK_EVENT_TYPES, isArray: true, ...COMMA_SEPARATED })
  @IsOptional()
  @Transform(commaList)
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length * 2)
  @IsIn(WEBHOOK_EVENT_TYPES, {
    each: true,
    message: `event must be one or more of ${WEBHOOK_EVENT_TYPES.join(', ')}, comma-separated`,
  })
  event?: WebhookEventType[];
}
