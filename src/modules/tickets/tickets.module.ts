import { Module } from '@nestjs/common';
import { SkillsModule } from '../skills/skills.module';
import {
  HandleTimeoutHandler,
  ShiftEndReleaseHandler,
  SlaCheckHandler,
} from './ticket-timers.handlers';
import { TicketIntakeService } from './ticket-intake.service';
import { TicketMatchingService } from './ticket-matching.service';
import { TicketWorkService } from './ticket-work.service';
import {
  AgentTicketsController,
  EscalationsController,
  TicketsController,
} from './tickets.controller';
import { TicketsService } from './tickets.service';

@Module({
  imports: [SkillsModule],
  controllers: [EscalationsController, TicketsController, AgentTicketsController],
  providers: [
    TicketIntakeService,
    TicketsService,
    TicketMatchingService,
    TicketWorkService,
    SlaCheckHandler,
    HandleTimeoutHandler,
    ShiftEndReleaseHandler,
  ],
  exports: [TicketWorkService],
})
export class TicketsModule {}
