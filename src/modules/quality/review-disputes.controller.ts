import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { ApiErrors } from '../../common/http/api-errors';
import { IdParam } from '../../common/http/id-param';
import {
  DecideDisputeDto,
  DisputedReviewPageDto,
  DisputeReviewDto,
  ListDisputedReviewsQueryDto,
  ReviewDto,
} from './quality.dto';
import { ReviewDisputesService } from './review-disputes.service';
import { Idempotent } from '../idempotency/idempotent.decorator';

@ApiTags('quality')
@Controller('v1/reviews')
export class ReviewDisputesController {
  constructor(private readonly disputes: ReviewDisputesService) {}

  /** Disputes a review of your work, once, with a reason; an admin upholds or removes it. */
  @Post(':id/dispute')
  @HttpCode(200)
  @Idempotent()
  @Roles('agent')
  @ApiOperation({ operationId: 'disputeReview', summary: 'Dispute a review of your work' })
  @ApiErrors('ALREADY_DISPUTED', 'REVIEW_CHANGED')
  dispute(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Body() body: DisputeReviewDto,
  ): Promise<ReviewDto> {
    return this.disputes.dispute(actor, id, body.reason, body.reviewUpdatedAt);
  }

  /** Decides a pending dispute: uphold (the review counts) or remove (it stops counting). */
  @Post(':id/decision')
  @HttpCode(200)
  @Idempotent()
  @Roles('admin')
  @ApiOperation({ operationId: 'decideReviewDispute', summary: "Decide a review's dispute" })
  @ApiErrors('DISPUTE_NOT_PENDING')
  decide(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Body() body: DecideDisputeDto,
  ): Promise<ReviewDto> {
    return this.disputes.decide(actor, id, body);
  }

  /** Disputed reviews (pending by default), the oldest dispute first. */
  @Get('disputed')
  @Roles('admin')
  @ApiOperation({ operationId: 'listDisputedReviews', summary: 'List disputed reviews' })
  list(
    @CurrentActor() actor: Actor,
    @Query() query: ListDisputedReviewsQueryDto,
  ): Promise<DisputedReviewPageDto> {
    return this.disputes.list(actor, query);
  }
}
