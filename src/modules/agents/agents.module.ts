import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ShiftsModule } from '../shifts/shifts.module';
import { SkillsModule } from '../skills/skills.module';
import { TicketsModule } from '../tickets/tickets.module';
import { Agent, AgentSkill, Certification } from './agent.entity';
import { AgentSuspensionService } from './agent-suspension.service';
import { AgentsController, CertifiedAgentsController } from './agents.controller';
import { AgentsService } from './agents.service';
import { CertificationsService } from './certifications.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([Agent, AgentSkill, Certification]),
    SkillsModule,
    // Suspension ends the agent's seats and tickets through their owners.
    ShiftsModule,
    TicketsModule,
  ],
  controllers: [AgentsController, CertifiedAgentsController],
  providers: [AgentsService, CertificationsService, AgentSuspensionService],
  exports: [AgentsService],
})
export class AgentsModule {}
