import { Body, Controller, Get, Post, Put, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { ApiErrors } from '../../common/http/api-errors';
import { IdParam } from '../../common/http/id-param';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { CreateReviewDto, ReviewDto, TicketFeedbackDto } from './quality.dto';
import { ReviewsService } from './reviews.service';

@ApiTags('quality')
@Controller('v1/tickets/:id')
@Roles('company_admin')
export class ReviewsController {
  constructor(private readonly reviews: ReviewsService) {}

  /**
   * Your review of the resolution (of the agent who last resolved the ticket): a score, tags
   * from a fixed list, a note. One per resolution: 201 stored; the same review again: 200 (a
   * ticket reopened and resolved again has a new resolution to review).
   */
  @Post('review')
  @Idempotent()
  @ApiOperation({ operationId: 'reviewTicket', summary: "Review a ticket's resolution" })
  @ApiErrors('TICKET_NOT_RESOLVED', 'TICKET_WITHDRAWN', 'FEEDBACK_WINDOW_CLOSED', 'REVIEW_EXISTS')
  @ApiCreatedResponse({ type: ReviewDto, description: 'Stored' })
  @ApiOkResponse({ type: ReviewDto, description: 'The same review again: the stored one' })
  async create(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Body() body: CreateReviewDto,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<ReviewDto> {
    const { review, created } = await this.reviews.create(actor, id, body);
    res.status(created ? 201 : 200);
    return review;
  }

  /**
   * Changes your review of the ticket's last resolution, for 7 days after you wrote it and
   * unless the agent disputed it (404 when that resolution has none yet).
   */
  @Put('review')
  @ApiOperation({ operationId: 'changeTicketReview', summary: 'Change your review' })
  @ApiErrors('TICKET_NOT_RESOLVED', 'TICKET_WITHDRAWN', 'REVIEW_LOCKED')
  update(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Body() body: CreateReviewDto,
  ): Promise<ReviewDto> {
    return this.reviews.update(actor, id, body);
  }

  /** The customer's rating and your review of the ticket, as far as they exist. */
  @Get('feedback')
  @ApiOperation({ operationId: 'getTicketFeedback', summary: "Get a ticket's rating and review" })
  feedback(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<TicketFeedbackDto> {
    return this.reviews.feedbackOf(actor, id);
  }
}
