import { Module } from '@nestjs/common';
import { AgentProfilesModule } from '../agents/agent-profiles.module';
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
import { TicketClaimsRepository } from './ticket-claims.repository';
import { TicketIntakeRepository } from './ticket-intake.repository';
import { TicketIntakeService } from './ticket-intake.service';
import { TicketMatchingRepository } from './ticket-matching.repository';
import { TicketMatchingService } from './ticket-matching.service';
import { TicketReadService } from './ticket-read.service';
import { TicketWorkService } from './ticket-work.service';
import {
  AgentTicketsController,
  EscalationsController,
  TicketsController,
} from './tickets.controller';
import { TicketsRepository } from './tickets.repository';
import { TicketsService } from './tickets.service';

@Module({
  // Live shifts and rates (shifts), agents' locks and suspensions (agent profiles).
  imports: [OutboxModule, SkillsModule, AgentProfilesModule, ShiftsModule, MetricsCoreModule],
  controllers: [EscalationsController, TicketsController, AgentTicketsController],
  providers: [
    TicketsRepository,
    TicketClaimsRepository,
    TicketIntakeRepository,
    TicketMatchingRepository,
    TicketReadService,
    TicketIntakeService,
    TicketsService,
    TicketMatchingService,
    TicketWorkService,
    TicketClaimFacts,
    SlaCheckHandler,
    HandleTimeoutHandler,
    ShiftEndReleaseHandler,
  ],
  exports: [TicketWorkService, TicketClaimFacts],
})
export class TicketsModule {}
