import { databaseNow } from '../../database/sql';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireCompany, requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { QUALITY_WINDOW_DAYS } from '../../common/quality/quality-window';
import { TicketClaimFacts } from '../tickets/ticket-claim-facts.service';
import { REVIEW_EDIT_DAYS, toRatingDto, toReviewDto } from './quality.mapper';
import { CreateReviewDto, ReviewDto, TicketFeedbackDto } from './quality.dto';
import { RatingsRepository } from './ratings.repository';
import { ReviewContent, ReviewRow, ReviewsRepository } from './reviews.repository';
import { withdrawnFinal } from './ratings.service';

const DAY = 86_400_000;

/** A company admin's review of a resolution: written once, changed for a week. */
@Injectable()
export class ReviewsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly tickets: TicketClaimFacts,
    private readonly reviews: ReviewsRepository,
    private readonly ratings: RatingsRepository,
  ) {}

  /**
   * Reviews the claim that last resolved the company's ticket, within the quality window of
   * that resolution. One per resolution: the same review again answers the stored one
   * (`created` false); another is 409 REVIEW_EXISTS (change it with PUT). A ticket reopened and
   * resolved again has a resolution of its own to review. A withdrawn ticket is final: a review
   * written before (of a resolution reopened, then withdrawn) is answered as above, a new one is
   * refused.
   */
  async create(
    actor: Actor,
    ticketId: string,
    input: CreateReviewDto,
  ): Promise<{ review: ReviewDto; created: boolean }> {
    const { userId } = requireUser(actor, 'company_admin');
    const companyId = requireCompany(actor);
    const content = contentOf(input);
    return this.db.transaction(async (em) => {
      const { resolution, withdrawn } = await this.resolutionOf(em, companyId, ticketId);
      const same = (r: ReviewRow) => {
        if (sameContent(r, content)) return toReviewDto(r);
        throw new DomainError(
          'REVIEW_EXISTS',
          'This ticket has a review already: change it with PUT /v1/tickets/{id}/review',
          { review: toReviewDto(r) },
        );
      };
      const existing = await this.reviews.findByClaim(em, resolution.claimId);
      if (existing) return { review: same(existing), created: false };
      if (withdrawn) throw withdrawnFinal('reviewed');
      // By the database's clock, which wrote resolved_at (an API process's may run off it).
      if ((await databaseNow(em)) > resolution.resolvedAt.getTime() + QUALITY_WINDOW_DAYS * DAY) {
        throw new DomainError(
          'FEEDBACK_WINDOW_CLOSED',
          `A resolution can be reviewed for ${QUALITY_WINDOW_DAYS} days (the score's window)`,
        );
      }
      const inserted = await this.reviews.insert(em, {
        ticket_id: ticketId,
        claim_id: resolution.claimId,
        agent_id: resolution.agentId,
        company_id: companyId,
        reviewer_id: userId,
        ...content,
      });
      if (inserted) return { review: toReviewDto(inserted), created: true };
      const winner = await this.reviews.findByClaim(em, resolution.claimId);
      return { review: same(winner!), created: false };
    });
  }

  /**
   * Changes the review of the ticket's last resolution for REVIEW_EDIT_DAYS after it was
   * written; not once the agent disputed it (the admin decides on what the agent saw): 409
   * REVIEW_LOCKED. The review of an earlier resolution (before a reopen) is not this one: it
   * stays what it said of that agent's work. A ticket reopened and then withdrawn keeps its
   * last resolution's review, which still counts for that agent: it may be changed as above.
   */
  async update(actor: Actor, ticketId: string, input: CreateReviewDto): Promise<ReviewDto> {
    requireUser(actor, 'company_admin');
    const companyId = requireCompany(actor);
    return this.db.transaction(async (em) => {
      const { resolution, withdrawn } = await this.resolutionOf(em, companyId, ticketId);
      const review = await this.reviews.findByClaim(em, resolution.claimId, true);
      if (!review) throw withdrawn ? withdrawnFinal('reviewed') : DomainError.notFound('Review');
      if (review.dispute_status) {
        throw new DomainError('REVIEW_LOCKED', 'The agent disputed this review: it stays as is');
      }
      // As editableUntilAt says, by the clock that wrote created_at.
      if ((await databaseNow(em)) > review.created_at.getTime() + REVIEW_EDIT_DAYS * DAY) {
        throw new DomainError(
          'REVIEW_LOCKED',
          `A review can be changed for ${REVIEW_EDIT_DAYS} days after it is written`,
        );
      }
      return toReviewDto(await this.reviews.update(em, review.id, contentOf(input)));
    });
  }

  /**
   * The customer's rating of its ticket, and the company's review of the ticket's last
   * resolution (while the ticket is reopened, the reopened one's: it may still be written or
   * changed; none before that resolution is reviewed: the form then writes a new one). A
   * withdrawn ticket's too, if it was reviewed before (reopened, then withdrawn): it still
   * counts; but no new review is written of it, so its deadline is null.
   */
  async feedbackOf(actor: Actor, ticketId: string): Promise<TicketFeedbackDto> {
    const companyId = requireCompany(actor);
    const em = this.db.manager;
    const found = await this.tickets.lastResolution(em, companyId, { ticketId });
    if (!found) throw DomainError.notFound('Ticket');
    const [rating, review] = await Promise.all([
      this.ratings.find(em, ticketId),
      found.resolution ? this.reviews.findByClaim(em, found.resolution.claimId) : undefined,
    ]);
    const resolvedAt = found.withdrawn ? undefined : found.resolution?.resolvedAt;
    return {
      rating: rating ? toRatingDto(rating) : null,
      review: review ? toReviewDto(review) : null,
      claimId: found.resolution?.claimId ?? null,
      reviewDeadline: resolvedAt
        ? new Date(resolvedAt.getTime() + QUALITY_WINDOW_DAYS * DAY)
        : null,
    };
  }

  /**
   * The ticket's last resolution, and whether the ticket was withdrawn since, for a write: the
   * ticket share-locked until the review is written (a withdrawal waits, or was seen).
   */
  private async resolutionOf(em: EntityManager, companyId: string, ticketId: string) {
    const found = await this.tickets.lastResolution(em, companyId, { ticketId }, true);
    if (!found) throw DomainError.notFound('Ticket');
    if (!found.resolution) {
      if (found.withdrawn) throw withdrawnFinal('reviewed');
      throw new DomainError('TICKET_NOT_RESOLVED', 'The ticket has no resolution to review yet');
    }
    return { resolution: found.resolution, withdrawn: found.withdrawn };
  }
}

function contentOf(input: CreateReviewDto): ReviewContent {
  return { score: input.score, tags: [...input.tags].sort(), note: input.note?.trim() || null };
}

function sameContent(r: ReviewRow, c: ReviewContent): boolean {
  return r.score === c.score && r.note === c.note && [...r.tags].sort().join() === c.tags.join();
}
