import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsString,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { Length, MaxLength } from '../../common/validation/text-and-numbers';
import { ApiInstant, ApiInteger } from '../../common/http/openapi-property';
import { IsInstant } from '../../common/validation/is-instant';
import { PageQueryDto } from '../../common/pagination/page.dto';
import { IsOmittable } from '../../common/validation/omittable';

export const REVIEW_TAGS = ['empathy', 'accuracy', 'speed', 'tone', 'policy'] as const;
export type ReviewTag = (typeof REVIEW_TAGS)[number];
export const DISPUTE_STATUSES = ['pending', 'upheld', 'removed'] as const;
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];

export class CreateRatingDto {
  /**
   * The customer's satisfaction, 1 (very unhappy) to 5 (very happy).
   * @example 5
   */
  @ApiInteger({ minimum: 1, maximum: 5 })
  @IsInt()
  @Min(1)
  @Max(5)
  csat: number;
  /**
   * What the customer wrote with it, if anything.
   * @example "Quick and kind, thank you."
   */
  @IsOmittable()
  @IsString()
  @Length(1, 2000)
  comment?: string;
}

export class RatingDto {
  /** @example 0f8e7d6c-5b4a-4392-8170-6e5d4c3b2a19 */
  ticketId: string;
  /**
   * The agent whose resolution it rates (the last one resolved).
   * @example 9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a
   */
  agentId: string;
  /** @example 5 */
  @ApiInteger()
  csat: number;
  /** @example "Quick and kind, thank you." */
  comment: string | null;
  /** @example 2030-05-04T10:15:00.000Z */
  createdAt: Date;
}

export class CreateReviewDto {
  /**
   * Your score of the resolution, 1 (poor) to 5 (excellent).
   * @example 4
   */
  @ApiInteger({ minimum: 1, maximum: 5 })
  @IsInt()
  @Min(1)
  @Max(5)
  score: number;
  /**
   * What stood out, from a fixed list (none, or each at most once).
   * @example ["empathy", "accuracy"]
   */
  @ApiProperty({ enum: REVIEW_TAGS, isArray: true, maxItems: REVIEW_TAGS.length })
  @IsArray()
  @ArrayMaxSize(REVIEW_TAGS.length)
  @ArrayUnique()
  @IsIn(REVIEW_TAGS, { each: true, message: `each tag must be one of ${REVIEW_TAGS.join(', ')}` })
  tags: ReviewTag[];
  /**
   * A note for the agent.
   * @example "Found the duplicate charge fast; a little curt at the end."
   */
  @IsOmittable()
  @IsString()
  @Length(1, 2000)
  note?: string;
}

export class ReviewDisputeDto {
  /** @example pending */
  @ApiProperty({ enum: DISPUTE_STATUSES })
  status: DisputeStatus;
  /** @example "The customer had already been refunded by the bot." */
  reason: string;
  /** @example 2030-05-05T09:00:00.000Z */
  disputedAt: Date;
  /** @example 2030-05-06T11:30:00.000Z */
  decidedAt: Date | null;
  /** @example "The transcript shows the bot refunded first." */
  decisionNote: string | null;
}

export class ReviewDto {
  /** @example 3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a */
  id: string;
  /** @example 0f8e7d6c-5b4a-4392-8170-6e5d4c3b2a19 */
  ticketId: string;
  /** @example 9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a */
  agentId: string;
  /** @example 4 */
  @ApiInteger()
  score: number;
  /** @example ["empathy", "accuracy"] */
  @ApiProperty({ enum: REVIEW_TAGS, isArray: true })
  tags: ReviewTag[];
  /** @example "Found the duplicate charge fast; a little curt at the end." */
  note: string | null;
  /** @example 2030-05-04T10:15:00.000Z */
  createdAt: Date;
  /** @example 2030-05-04T10:15:00.000Z */
  updatedAt: Date;
  /**
   * The company may change it until then, unless the agent disputed it.
   * @example 2030-05-11T10:15:00.000Z
   */
  editableUntilAt: Date;
  /** The agent's dispute of it, if any. */
  dispute: ReviewDisputeDto | null;
  /**
   * Whether it counts in the agent's quality score now: inside the score's window (90 days) and
   * not removed.
   * @example true
   */
  counts: boolean;
}

/** The customer's rating and the company's review of one ticket, as far as they exist. */
export class TicketFeedbackDto {
  /** The customer's rating (one per ticket, of the resolution it was given for). */
  rating: RatingDto | null;
  /**
   * Your review of the ticket's last resolution (while the ticket is reopened, the reopened
   * one's, which you may still write or change); null while that resolution is not reviewed.
   * A ticket reopened and then withdrawn keeps it (it still counts): changed, not written anew.
   */
  review: ReviewDto | null;
  /**
   * The claim of that last resolution (the ticket's `claims` name its agent and time): what a
   * review is of. Null while there is none; of a withdrawn ticket, a resolution reopened before
   * the withdrawal (its review still counts), not a paid withdrawal.
   * @example a7d3e9f1-2b4c-4d6e-8f0a-1c3e5b7d9f2a
   */
  claimId: string | null;
  /**
   * Until when a review of the last resolution may be written (QUALITY_WINDOW_DAYS, 90, after
   * it; past it, 409 FEEDBACK_WINDOW_CLOSED); null while there is no resolution, and for a
   * withdrawn ticket (final: a review written before may still be changed, no new one written).
   * @example 2030-08-02T09:31:40.000Z
   */
  reviewDeadline: Date | null;
}

export class DisputeReviewDto {
  /**
   * Why the review is unfair; an admin reads it with the resolution and the review.
   * @example "The customer had already been refunded by the bot."
   */
  @IsString()
  @MaxLength(2000)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason: string;

  /**
   * The review's `updatedAt` as read: if the company changed it since, the dispute is refused
   * (409 REVIEW_CHANGED), so that what an admin weighs is the review the agent disputed.
   * @example 2030-05-05T08:00:00.000Z
   */
  @ApiInstant({ required: false })
  @IsOmittable()
  @IsInstant()
  reviewUpdatedAt?: string;
}

export const DISPUTE_DECISIONS = ['uphold', 'remove'] as const;

export class DecideDisputeDto {
  /**
   * uphold: the review stands and counts; remove: it stops counting.
   * @example remove
   */
  @ApiProperty({ enum: DISPUTE_DECISIONS })
  @IsIn(DISPUTE_DECISIONS)
  decision: (typeof DISPUTE_DECISIONS)[number];
  /**
   * Why, for the agent and the company.
   * @example "The transcript shows the bot refunded first."
   */
  @IsString()
  @MaxLength(2000)
  @Matches(/\S/, { message: 'note must not be blank' })
  note: string;
}

export class ListDisputedReviewsQueryDto extends PageQueryDto {
  /** Only disputes in this state (default pending). */
  @ApiPropertyOptional({ enum: DISPUTE_STATUSES, default: 'pending' })
  @IsOmittable()
  @IsIn(DISPUTE_STATUSES)
  status: DisputeStatus = 'pending';
}

/** The resolution a review is about. */
export class ReviewedResolutionDto {
  /** The ticket's subject, from the company's bot. @example "Refund not received" */
  subject: string;
  /**
   * What the agent wrote when resolving (null if it wrote nothing).
   * @example "Refund re-issued to the original card; customer confirmed."
   */
  summary: string | null;
  /** @example 2030-05-04T09:31:40.000Z */
  resolvedAt: Date;
}

/** A disputed review, as the admin who decides it sees it. */
export class DisputedReviewDto extends ReviewDto {
  /** @example 5b0e6c1f-8a2d-4c3b-9e7f-1a2b3c4d5e6f */
  companyId: string;
  /** @example "Acme Support" */
  companyName: string | null;
  /**
   * The agent who disputes it.
   * @example "Ana P."
   */
  agentName: string;
  /** The resolution the review is about, to weigh the review and the reason against. */
  resolution: ReviewedResolutionDto;
}

export class DisputedReviewPageDto {
  items: DisputedReviewDto[];
  /**
   * Pass as `cursor` for the next page; null on the last page.
   * @example WyIyMDMwLTA1LTA0VDEwOjE1OjAwLjAwMFoiLCIzYzJiMWEwOS04ZjdlLTRkNmMtOWI1YS00ZjNlMmQxYzBiOWEiXQ
   */
  nextCursor: string | null;
}

export const FEEDBACK_KINDS = ['rating', 'review'] as const;

/** One rating or review of the agent's work. */
export class FeedbackItemDto {
  /** @example review */
  @ApiProperty({ enum: FEEDBACK_KINDS })
  kind: (typeof FEEDBACK_KINDS)[number];
  /** @example 0f8e7d6c-5b4a-4392-8170-6e5d4c3b2a19 */
  ticketId: string;
  /** @example "Acme Support" */
  companyName: string | null;
  /**
   * 1–5: the customer's csat, or the company's score.
   * @example 4
   */
  @ApiInteger()
  stars: number;
  /**
   * The customer's comment or the company's note.
   * @example "Found the duplicate charge fast."
   */
  text: string | null;
  /** @example ["accuracy"] */
  @ApiProperty({ enum: REVIEW_TAGS, isArray: true })
  tags: ReviewTag[];
  /** @example 2030-05-04T10:15:00.000Z */
  createdAt: Date;
  /**
   * A review's last change by the company (it may change it for 7 days); a rating's creation.
   * Send it with a dispute, to dispute the review as read.
   * @example 2030-05-05T08:00:00.000Z
   */
  updatedAt: Date;
  /**
   * The review's id (to dispute it); null for a rating.
   * @example 3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a
   */
  reviewId: string | null;
  /** A review's dispute, if any. */
  dispute: ReviewDisputeDto | null;
  /**
   * Whether it counts in your score now (inside the window and not removed).
   * @example true
   */
  counts: boolean;
}

export class FeedbackPageDto {
  items: FeedbackItemDto[];
  /**
   * Pass as `cursor` for the next page; null on the last page.
   * @example WyIyMDMwLTA1LTA0VDEwOjE1OjAwLjAwMFoiLCIzYzJiMWEwOS04ZjdlLTRkNmMtOWI1YS00ZjNlMmQxYzBiOWEiXQ
   */
  nextCursor: string | null;
}
