import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsIn, IsOptional, IsUrl, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination/page.dto';
import { DELIVERY_ERROR_KINDS, DeliveryErrorKind } from './webhook-delivery-error';
import { WEBHOOK_EVENT_TYPES, WebhookEventType } from './webhook-payload';

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
  url: string;
  createdAt: Date;
  /** The last change of the URL or of the secret. */
  updatedAt: Date;
}

export class WebhookSetDto extends WebhookDto {
  /**
   * The signing secret when this call created the webhook, shown only here. null when the
   * webhook already existed: its secret is unchanged (POST …/webhook/rotate-secret for a new one).
   */
  @ApiProperty({ type: String, nullable: true, example: 'whsec_…' })
  secret: string | null;
}

export class WebhookWithSecretDto extends WebhookDto {
  /** The new signing secret, shown only in this response; the old one no longer signs. */
  secret: string;
}

export class WebhookDeliveryDto {
  id: string;
  eventId: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES })
  eventType: WebhookEventType;
  @ApiProperty({ enum: DELIVERY_STATUSES })
  status: DeliveryStatus;
  attempts: number;
  /** The receiver's HTTP status at the last attempt; null when no answer came. */
  lastStatusCode: number | null;
  /** What went wrong at the last attempt, for people ("connection refused by host:443"). */
  lastError: string | null;
  /** What went wrong at the last attempt, for programs; null when it succeeded. */
  @ApiProperty({ enum: DELIVERY_ERROR_KINDS, nullable: true })
  lastErrorKind: DeliveryErrorKind | null;
  lastAttemptAt: Date | null;
  /**
   * When the next attempt is due, while the delivery is pending (right away for one not tried
   * yet); null once delivered or failed. A time in the past means the workers are behind.
   */
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
  createdAt: Date;
  /** Exactly what was (or will be) POSTed. */
  payload: Record<string, unknown>;
}

export class WebhookDeliveryPageDto {
  items: WebhookDeliveryDto[];
  nextCursor: string | null;
}

/**
 * OpenAPI's words for `?status=pending,failed`: an array in one parameter, comma-separated.
 * (Parameter-level keys; @nestjs/swagger passes them through from the property to the parameter.)
 */
const COMMA_SEPARATED = { style: 'form', explode: false } as object;

/** `a,b` → ['a', 'b'] (a repeated parameter counts too); anything else is left to the validators. */
const commaList = ({ value }: { value: unknown }): unknown => {
  const parts = Array.isArray(value) ? value : [value];
  return parts.every((p) => typeof p === 'string')
    ? (parts as string[]).flatMap((p) => p.split(',')).map((p) => p.trim())
    : value;
};

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
