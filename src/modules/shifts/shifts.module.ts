import { ShiftEligibility } from './shift-eligibility.service';
import { PayPerHour } from './pay-per-hour.service';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentProfilesModule } from '../agents/agent-profiles.module';
import { CompaniesModule } from '../companies/companies.module';
import { EventsModule } from '../events/events.module';
import { OutboxModule } from '../outbox/outbox.module';
import { SkillsModule } from '../skills/skills.module';
import { OpenShiftsRepository } from './open-shifts.repository';
import { OpenShiftsService } from './open-shifts.service';
import { MySeatsController, SeatsController } from './seats.controller';
import { SeatAllocator } from './seat-allocator.service';
import { SeatAvailabilityController } from './seat-availability.controller';
import { SeatAvailabilityRepository } from './seat-availability.repository';
import { SeatAvailabilityService } from './seat-availability.service';
import { SeatRevocation } from './seat-revocation.service';
import { SeatSuspension } from './seat-suspension.service';
import { ShiftFacts } from './shift-facts.service';
import { Shift, ShiftRequiredSkill } from './shift.entity';
import { ShiftClaimViewsRepository } from './shift-claim-views.repository';
import { ShiftClaimsRepository } from './shift-claims.repository';
import { ShiftClaimEndingsRepository } from './shift-claim-endings.repository';
import { ShiftClaimsService } from './shift-claims.service';
import {
  NoShowCheckHandler,
  PromoteWaitlistHandler,
  ShiftCompleteHandler,
} from './shift-timers.handlers';
import { ShiftWaitlistRepository } from './shift-waitlist.repository';
import { ShiftWaitlistService } from './shift-waitlist.service';
import { CompanyAgentsController, ShiftsController } from './shifts.controller';
import { CompanyAgentsService } from './company-agents.service';
import { ShiftsRepository } from './shifts.repository';
import { ShiftSeatsRepository } from './shift-seats.repository';
import { LiveSeatShiftsRepository } from './live-seat-shifts.repository';
import { ShiftsService } from './shifts.service';
import { ShiftPostingService } from './shift-posting.service';
import { ShiftCancellationService } from './shift-cancellation.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([Shift, ShiftRequiredSkill]),
    OutboxModule,
    EventsModule,
    SkillsModule,
    CompaniesModule,
    // Agents' qualifications, seat locks and names (AgentsModule, which suspends through this
    // module, would be a cycle; AgentProfilesModule is the part without suspension).
    AgentProfilesModule,
  ],
  // SeatsController first: its GET /v1/shifts/open must be matched before GET /v1/shifts/:id.
  controllers: [
    SeatsController,
    MySeatsController,
    SeatAvailabilityController,
    ShiftsController,
    CompanyAgentsController,
  ],
  providers: [
    ShiftsRepository,
    ShiftSeatsRepository,
    LiveSeatShiftsRepository,
    ShiftClaimsRepository,
    ShiftClaimEndingsRepository,
    ShiftClaimViewsRepository,
    ShiftWaitlistRepository,
    OpenShiftsRepository,
    ShiftsService,
    ShiftPostingService,
    ShiftCancellationService,
    CompanyAgentsService,
    OpenShiftsService,
    ShiftClaimsService,
    ShiftWaitlistService,
    SeatAllocator,
    SeatSuspension,
    SeatRevocation,
    ShiftFacts,
    SeatAvailabilityRepository,
    SeatAvailabilityService,
    NoShowCheckHandler,
    ShiftCompleteHandler,
    PromoteWaitlistHandler,
    ShiftEligibility,
    PayPerHour,
  ],
  exports: [SeatSuspension, SeatRevocation, ShiftFacts, SeatAvailabilityService],
})
export class ShiftsModule {}
