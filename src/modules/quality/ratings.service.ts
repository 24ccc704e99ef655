import { databaseNow } from '../../database/sql';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireBot } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { TicketClaimFacts } from '../tickets/ticket-claim-facts.service';
import { toRatingDto } from './quality.mapper';
import { CreateRatingDto, RatingDto } from './quality.dto';
import { RatingRow, RatingsRepository } from './ratings.repository';

/** The customer may rate a resolution for this long after it. */
export const RATING_WINDOW_DAYS = 7;
const DAY = 86_400_000;

/** The customer's rating of a resolution, as the company's bot posts it. */
@Injectable()
export class RatingsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly tickets: TicketClaimFacts,
    private readonly ratings: RatingsRepository,
  ) {}

  /**
   * Rates the claim that last resolved the ticket, once: the same rating again answers the
   * stored one (`created` false), another is 409 RATING_CONFLICT. Within RATING_WINDOW_DAYS of
   * that resolution.
   */
  async rate(
    actor: Actor,
    externalId: string,
    input: CreateRatingDto,
  ): Promise<{ rating: RatingDto; created: boolean }> {
    const { companyId } = requireBot(actor);
    const comment = input.comment?.trim() || null;
    return this.db.transaction(async (em) => {
      const found = await this.tickets.lastResolution(em, companyId, { externalId }, true);
      if (!found) throw DomainError.notFound('Ticket');
      const same = (r: RatingRow) => {
        if (r.csat === input.csat && r.comment === comment) return toRatingDto(r);
        throw new DomainError(
          'RATING_CONFLICT',
          'This ticket is rated already, differently: a rating cannot be changed',
          { rating: toRatingDto(r) },
        );
      };
      const existing = await this.ratings.find(em, found.ticketId);
      if (existing) return { rating: same(existing), created: false };
      const resolution = found.resolution;
      if (found.withdrawn) throw withdrawnFinal('rated');
      if (!resolution) {
        throw new DomainError('TICKET_NOT_RESOLVED', 'The ticket has no resolution to rate yet');
      }
      // By the database's clock, which wrote resolved_at (an API process's may run off it).
      if ((await databaseNow(em)) > resolution.resolvedAt.getTime() + RATING_WINDOW_DAYS * DAY) {
        throw new DomainError(
          'FEEDBACK_WINDOW_CLOSED',
          `A resolution can be rated for ${RATING_WINDOW_DAYS} days; this one was resolved on ` +
            resolution.resolvedAt.toISOString(),
        );
      }
      const inserted = await this.ratings.insert(em, {
        ticket_id: found.ticketId,
        claim_id: resolution.claimId,
        agent_id: resolution.agentId,
        company_id: companyId,
        csat: input.csat,
        comment,
      });
      if (inserted) return { rating: toRatingDto(inserted), created: true };
      // Rated meanwhile by a concurrent request, now committed.
      return { rating: same((await this.ratings.find(em, found.ticketId))!), created: false };
    });
  }
}

/** A withdrawn ticket is final: said so, not "not resolved yet" (which invites a retry). */
export const withdrawnFinal = (what: 'rated' | 'reviewed') =>
  new DomainError(
    'TICKET_WITHDRAWN',
    `The ticket was withdrawn: a withdrawn ticket is final, and is not ${what}`,
  );
