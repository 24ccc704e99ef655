import { ApiProperty } from '@nestjs/swagger';
import { IsUrl, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination/page';

export class SetWebhookDto {
  /**
   * Where events are POSTed. Use https in production. It must reach a public address (not
   * loopback, private, link-local…), carry no credentials, and answer 2xx itself: redirects are
   * not followed.
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
  updatedAt: Date;
}

export class WebhookWithSecretDto extends WebhookDto {
  /** Signs every delivery; shown only in this response. Setting the webhook again rotates it. */
  secret: string;
}

export class WebhookDeliveryDto {
  id: string;
  eventId: string;
  eventType: string;
  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] })
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: Date | null;
  deliveredAt: Date | null;
  createdAt: Date;
  /** Exactly what was (or will be) POSTed. */
  payload: Record<string, unknown>;
}

export class WebhookDeliveryPageDto {
  items: WebhookDeliveryDto[];
  nextCursor: string | null;
}

export class ListDeliveriesQueryDto extends PageQueryDto {}
