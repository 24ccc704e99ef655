import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiErrors } from '../../common/http/api-errors';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { EventPageDto, ListEventsQueryDto } from './event.dto';
import { EventStreamsService } from './event-streams.service';
import { EventsService } from './events.service';

@ApiTags('events')
@Controller('v1/events')
@Roles('agent', 'company_admin', 'finance', 'bot')
export class EventsController {
  constructor(
    private readonly events: EventsService,
    private readonly streams: EventStreamsService,
  ) {}

  /**
   * What happened that you may see, oldest first, kept 30 days: agents their own events,
   * company admins and the company's API keys the company's, finance payout runs. Page with
   * `after` = the previous page's `nextAfter`.
   */
  @Get()
  @ApiOperation({ operationId: 'listEvents', summary: 'List your events' })
  list(@CurrentActor() actor: Actor, @Query() query: ListEventsQueryDto): Promise<EventPageDto> {
    return this.events.list(actor, query);
  }

  /**
   * Server-Sent Events: each event as `id:`, `event:` (its type) and JSON `data:` (an Event),
   * a `: heartbeat` comment every 15 s. Send `Last-Event-ID` to get what you missed (within
   * the 30 days kept) before the live events, without gaps or repeats; then a bare `id:` line
   * says where the stream stands (keep it as your Last-Event-ID). The stream ends when
   * your access token expires, on logout or suspension, on a server's shutdown (an
   * `event: stream.end` says why), or at once when you read too slowly (1,000 events or 1 MB
   * behind): reconnect with a fresh token and `Last-Event-ID`. A server that is shutting down
   * refuses new streams with 503 and `Retry-After`: retry then (another server answers). A user
   * or key with EVENTS_STREAMS_PER_SUBJECT (10) streams open on the server gets 429 for more.
   */
  @Get('stream')
  @ApiProduces('text/event-stream')
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'The id of the last event you received: replay what came after it.',
    schema: { type: 'string', pattern: '^[0-9]{1,15}$' },
  })
  @ApiOkResponse({
    description: 'An endless text/event-stream',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiOperation({ operationId: 'streamEvents', summary: 'Stream your events (SSE)' })
  // More than EVENTS_STREAMS_PER_SUBJECT open on the server for this user or key.
  @ApiErrors('RATE_LIMITED')
  async stream(
    @CurrentActor() actor: Actor,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() res: FastifyReply,
  ): Promise<void> {
    await this.streams.open(actor, lastEventId, res);
  }
}
