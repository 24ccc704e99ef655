import { Module } from '@nestjs/common';
import { AgentProfilesModule } from '../agents/agent-profiles.module';
import { EventsModule } from '../events/events.module';
import { MetricsCoreModule } from '../metrics/metrics-core.module';
import { OutboxModule } from '../outbox/outbox.module';
import { ShiftsModule } from '../shifts/shifts.module';
import { SkillsModule } from '../skills/skills.module';
import {
  HandleTimeoutHandler,
  ShiftEndReleaseHandler,
  SlaCheckHandler,
} from './ticket-timers.handlers';
import { TicketClaimFacts } from './ticket-claim-facts.service';
import {
  EscalationConversationController,
  TicketConversationController,
} from './ticket-conversation.controller';
import { TicketConversationService } from './ticket-conversation.service';
import { TicketHandoverService } from './ticket-handover.service';
import { TicketWithdrawalService } from './ticket-withdrawal.service';
import { TicketMessagesRepository } from './ticket-messages.repository';
import { TicketClaimsRepository } from './ticket-claims.repository';
import { TicketIntakeRepository } from './ticket-intake.repository';
import { TicketIntakeService } from './ticket-intake.service';
import { TicketMatchingRepository } from './ticket-matching.repository';
import { TicketResolveRepository } from './ticket-resolve.repository';
import { TicketMatchingService } from './ticket-matching.service';
import { TicketReadService } from './ticket-read.service';
import { AgentTicketsService } from './agent-tickets.service';
import { TicketWorkService } from './ticket-work.service';
import {
  AgentTicketsController,
  EscalationsController,
  TicketsController,
} from './tickets.controller';
import { SurgeRepository } from './surge.repository';
import { TicketsRepository } from './tickets.repository';
import { SlaBreaches } from './sla-breach.service';
import { TicketsService } from './tickets.service';
import {
  OfferExpireHandler,
  OffersRouteHandler,
  OffersWithdrawHandler,
} from './offer-jobs.handlers';
import { OfferRouter } from './offer-router.service';
import { OffersController } from './offers.controller';
import { OfferableTicketsRepository } from './offerable-tickets.repository';
import { OfferRoutingRepository } from './offer-routing.repository';
import { OffersRepository } from './offers.repository';
import { OfferWithdrawalsRepository } from './offer-withdrawals.repository';
import { OffersService } from './offers.service';
import { HandoffQualityController } from './handoff-quality.controller';
import { HandoffQualityService } from './handoff-quality.service';
import { TicketQualityRepository } from './ticket-quality.repository';

@Module({
  // Live shifts and rates (shifts), agents' locks and suspensions (agent profiles).
  // Events: the conversation's, withdrawals' and transfers' events (issue 15).
  imports: [
    OutboxModule,
    SkillsModule,
    AgentProfilesModule,
    ShiftsModule,
    MetricsCoreModule,
    EventsModule,
  ],
  controllers: [
    EscalationsController,
    EscalationConversationController,
    TicketsController,
    TicketConversationController,
    AgentTicketsController,
    OffersController,
    HandoffQualityController,
  ],
  providers: [
    TicketsRepository,
    TicketClaimsRepository,
    TicketIntakeRepository,
    TicketMatchingRepository,
    TicketResolveRepository,
    TicketReadService,
    AgentTicketsService,
    TicketIntakeService,
    TicketsService,
    TicketMatchingService,
    TicketWorkService,
    TicketClaimFacts,
    TicketMessagesRepository,
    TicketConversationService,
    TicketHandoverService,
    TicketWithdrawalService,
    SlaBreaches,
    SlaCheckHandler,
    HandleTimeoutHandler,
    ShiftEndReleaseHandler,
    OffersRepository,
    OfferWithdrawalsRepository,
    OfferableTicketsRepository,
    OfferRoutingRepository,
    OffersService,
    OfferRouter,
    OffersRouteHandler,
    OfferExpireHandler,
    OffersWithdrawHandler,
    TicketQualityRepository,
    HandoffQualityService,
    SurgeRepository,
  ],
  exports: [TicketWorkService, TicketClaimFacts],
})
export class TicketsModule {}
