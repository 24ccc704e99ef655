import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { decodeCursor, toPage } from '../../common/pagination/page';
import { AgentsService } from '../agents/agents.service';
import { CompaniesService } from '../companies/companies.service';
import { toReviewDto } from './quality.mapper';
import {
  DecideDisputeDto,
  DisputedReviewPageDto,
  ListDisputedReviewsQueryDto,
  ReviewDto,
} from './quality.dto';
import { TicketClaimFacts } from '../tickets/ticket-claim-facts.service';
import { ReviewsRepository } from './reviews.repository';

/** The agent disputes a review once; an admin upholds it or removes it from the score. */
@Injectable()
export class ReviewDisputesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly reviews: ReviewsRepository,
    private readonly companies: CompaniesService,
    private readonly agents: AgentsService,
    private readonly tickets: TicketClaimFacts,
  ) {}

  /** Once per review, by the agent it is about (others: 404). */
  async dispute(
    actor: Actor,
    reviewId: string,
    reason: string,
    readAt?: string,
  ): Promise<ReviewDto> {
    const { userId } = requireUser(actor, 'agent');
    return this.db.transaction(async (em) => {
      const review = await this.reviews.lock(em, reviewId, userId);
      if (!review) throw DomainError.notFound('Review');
      if (review.dispute_status) {
        throw new DomainError('ALREADY_DISPUTED', 'A review can be disputed once', {
          status: review.dispute_status,
        });
      }
      // Changed by the company after the agent read it: the agent would dispute what it never
      // saw, and the admin decide on that.
      if (readAt !== undefined && new Date(readAt).getTime() !== review.updated_at.getTime()) {
        throw new DomainError(
          'REVIEW_CHANGED',
          'The company changed this review after you read it: read it again before disputing it',
          { updatedAt: review.updated_at },
        );
      }
      return toReviewDto(await this.reviews.dispute(em, review.id, reason.trim()));
    });
  }

  /** An admin decides a pending dispute: upheld, the review counts; removed, it stops. */
  async decide(actor: Actor, reviewId: string, input: DecideDisputeDto): Promise<ReviewDto> {
    const { userId } = requireUser(actor, 'admin');
    return this.db.transaction(async (em) => {
      const review = await this.reviews.lock(em, reviewId, null);
      if (!review) throw DomainError.notFound('Review');
      if (review.dispute_status !== 'pending') {
        throw new DomainError(
          'DISPUTE_NOT_PENDING',
          review.dispute_status
            ? `This dispute was decided already (${review.dispute_status})`
            : 'This review is not disputed',
          { status: review.dispute_status },
        );
      }
      const status = input.decision === 'uphold' ? 'upheld' : 'removed';
      return toReviewDto(
        await this.reviews.decide(em, review.id, status, userId, input.note.trim()),
      );
    });
  }

  /** Disputed reviews in one state (pending by default), oldest dispute first. */
  async list(actor: Actor, query: ListDisputedReviewsQueryDto): Promise<DisputedReviewPageDto> {
    requireUser(actor, 'admin');
    const after = decodeCursor(query.cursor, ['instant', 'uuid']) as [string, string] | null;
    const rows = await this.reviews.disputed(this.db.manager, query.status, after, query.limit);
    const names = await this.companies.namesOf(
      this.db.manager,
      rows.map((r) => r.company_id),
    );
    // Every review is of an agent's claim (a foreign key): its name is always there.
    const agents = await this.agents.displayNamesOf(
      this.db.manager,
      rows.map((r) => r.agent_id),
    );
    // What was resolved, for the admin to weigh the review and the reason against (the list
    // gave the two alone). A review is always of a resolved claim (a foreign key, checked when
    // it is written).
    const resolutions = await this.tickets.resolutionsOf(
      this.db.manager,
      rows.map((r) => r.claim_id),
    );
    return toPage(
      rows,
      query.limit,
      (r) => ({
        ...toReviewDto(r),
        companyId: r.company_id,
        companyName: names.get(r.company_id) ?? null,
        agentName: agents.get(r.agent_id)!,
        resolution: resolutions.get(r.claim_id)!,
      }),
      (r) => [r.cursor_at, r.id],
    );
  }
}
