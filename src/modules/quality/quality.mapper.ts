import { QUALITY_WINDOW_DAYS } from '../../common/quality/quality-window';
import { RatingRow } from './ratings.repository';
import { ReviewRow } from './reviews.repository';
import { RatingDto, ReviewDisputeDto, ReviewDto } from './quality.dto';

/** A review may be changed for this long after it is written (not once disputed). */
export const REVIEW_EDIT_DAYS = 7;
const DAY = 86_400_000;

export function toRatingDto(r: RatingRow): RatingDto {
  return {
    ticketId: r.ticket_id,
    agentId: r.agent_id,
    csat: r.csat,
    comment: r.comment,
    createdAt: r.created_at,
  };
}

export function toDisputeDto(r: {
  dispute_status: ReviewRow['dispute_status'];
  dispute_reason: string | null;
  disputed_at: Date | null;
  decided_at: Date | null;
  decision_note: string | null;
}): ReviewDisputeDto | null {
  return r.dispute_status
    ? {
        status: r.dispute_status,
        reason: r.dispute_reason!,
        disputedAt: r.disputed_at!,
        decidedAt: r.decided_at,
        decisionNote: r.decision_note,
      }
    : null;
}

export function toReviewDto(r: ReviewRow): ReviewDto {
  return {
    id: r.id,
    ticketId: r.ticket_id,
    agentId: r.agent_id,
    score: r.score,
    tags: r.tags,
    note: r.note,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    editableUntilAt: new Date(r.created_at.getTime() + REVIEW_EDIT_DAYS * DAY),
    dispute: toDisputeDto(r),
    // As the agent's feedback list and the score say: inside the window and not removed.
    counts:
      r.dispute_status !== 'removed' &&
      r.created_at.getTime() > Date.now() - QUALITY_WINDOW_DAYS * DAY,
  };
}
