import { Module } from '@nestjs/common';
import { AgentProfilesModule } from '../agents/agent-profiles.module';
import { CompaniesModule } from '../companies/companies.module';
import { ShiftsModule } from '../shifts/shifts.module';
import { TicketsModule } from '../tickets/tickets.module';
import { AgentQualityController, CompanyAgentQualityController } from './quality.controller';
import { AgentQualityRepository } from './agent-quality.repository';
import { QualityScoreService } from './quality-score.service';
import { QualityTiers } from './quality-tiers.service';
import { QualityScoresRepository } from './quality-scores.repository';
import { RatingsController } from './ratings.controller';
import { RatingsRepository } from './ratings.repository';
import { RatingsService } from './ratings.service';
import { ReviewDisputesController } from './review-disputes.controller';
import { ReviewDisputesService } from './review-disputes.service';
import { ReviewsController } from './reviews.controller';
import { ReviewsRepository } from './reviews.repository';
import { ReviewsService } from './reviews.service';

/**
 * Quality (issue 19): customers' ratings and companies' reviews of resolutions, agents'
 * disputes of reviews, and the quality score built from them. Tickets say who resolved what.
 */
@Module({
  imports: [TicketsModule, ShiftsModule, CompaniesModule, AgentProfilesModule],
  controllers: [
    RatingsController,
    ReviewsController,
    ReviewDisputesController,
    AgentQualityController,
    CompanyAgentQualityController,
  ],
  providers: [
    RatingsRepository,
    ReviewsRepository,
    QualityScoresRepository,
    RatingsService,
    ReviewsService,
    ReviewDisputesService,
    QualityScoreService,
    AgentQualityRepository,
    QualityTiers,
  ],
  exports: [QualityScoreService, QualityTiers],
})
export class QualityModule {}
