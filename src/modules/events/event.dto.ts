import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { ApiInteger } from '../../common/http/openapi-property';
import { commaList } from '../../common/validation/comma-list';

export const EVENT_TYPE_PATTERN = /^[a-z][a-z_]*(\.[a-z][a-z_]*)+$/;

export class ListEventsQueryDto {
  /**
   * Events after this id (the last one you have); 0 or absent: from the oldest kept.
   * @example 1042
   */
  @ApiPropertyOptional({ type: 'integer', minimum: 0, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  after: number = 0;

  /** Only these event types, comma-separated: `ticket.claimed,ticket.message`. */
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', pattern: EVENT_TYPE_PATTERN.source },
    style: 'form',
    explode: false,
  } as object)
  @IsOptional()
  @Transform(commaList)
  @ArrayMaxSize(50)
  @Matches(EVENT_TYPE_PATTERN, {
    each: true,
    message: 'types must be event types such as ticket.claimed, comma-separated',
  })
  types?: string[];

  /** Events per page, 1–500 (default 100). */
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit: number = 100;
}

export class EventDto {
  /**
   * Monotonic, gap-free over all events (yours are a subsequence): pass the last one you have as
   * `after`, or as the stream's `Last-Event-ID`.
   * @example 1043
   */
  @ApiInteger()
  id: number;
  /** @example ticket.claimed */
  type: string;
  /** @example 2030-05-04T09:31:40.000Z */
  occurredAt: Date;
  /**
   * The company the event belongs to, if any.
   * @example 7c9e6679-7425-40de-944b-e07fc1f90ae7
   */
  companyId: string | null;
  /**
   * The agent it concerns, if any.
   * @example 3f2b8c1e-5d4a-4e7f-9b6c-2a1d0e9f8c7b
   */
  agentId: string | null;
  /**
   * The event's payload; for ticket events the same object the company's webhook receives as
   * its `data`.
   * @example {"eventId": "6f1e2d3c-4b5a-4968-b7a6-5f4e3d2c1b0a", "ticketId": "e410f6b2-3c7d-4e8a-9b1f-6d2c5a8e7f30", "companyId": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "externalId": "conv-8842", "agentId": "3f2b8c1e-5d4a-4e7f-9b6c-2a1d0e9f8c7b", "claimId": "a7d3e9f1-2b4c-4d6e-8f0a-1c3e5b7d9f2a", "occurredAt": "2030-05-04T09:31:40.000Z", "data": {}}
   */
  @ApiProperty({ type: 'object', additionalProperties: true })
  data: Record<string, unknown>;
}

export class EventPageDto {
  items: EventDto[];
  /**
   * Pass as `after` for the next page: past the last event read, or your `after` when there was
   * none. An agent's page may hold fewer items than `limit`, even none with `hasMore`: the
   * conversation of a ticket it no longer holds (released, transferred) is passed over.
   * @example 1043
   */
  @ApiInteger()
  nextAfter: number;
  /**
   * More events are waiting now: ask again at once.
   * @example false
   */
  hasMore: boolean;
}
