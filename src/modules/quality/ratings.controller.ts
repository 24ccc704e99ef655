import { Body, Controller, Post, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { ApiErrors } from '../../common/http/api-errors';
import { EXTERNAL_ID_DOC, ExternalIdParam } from '../../common/http/external-id-param';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { CreateRatingDto, RatingDto } from './quality.dto';
import { RatingsService } from './ratings.service';

@ApiTags('quality')
@Controller('v1/escalations')
@Roles('bot')
export class RatingsController {
  constructor(private readonly ratings: RatingsService) {}

  /**
   * The customer's rating of the resolution (of the agent who last resolved the ticket),
   * within 7 days of it. Once per ticket: 201 stored; the same rating again: 200 with the
   * stored one; another: 409.
   */
  @Post(':externalId/rating')
  @Idempotent()
  @EXTERNAL_ID_DOC
  @ApiOperation({ operationId: 'rateEscalation', summary: "Post the customer's rating" })
  @ApiErrors('TICKET_NOT_RESOLVED', 'TICKET_WITHDRAWN', 'FEEDBACK_WINDOW_CLOSED', 'RATING_CONFLICT')
  @ApiCreatedResponse({ type: RatingDto, description: 'Stored' })
  @ApiOkResponse({ type: RatingDto, description: 'The same rating again: the stored one' })
  async rate(
    @CurrentActor() actor: Actor,
    @ExternalIdParam() externalId: string,
    @Body() body: CreateRatingDto,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<RatingDto> {
    const { rating, created } = await this.ratings.rate(actor, externalId, body);
    res.status(created ? 201 : 200);
    return rating;
  }
}
