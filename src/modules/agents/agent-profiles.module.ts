import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CompaniesModule } from '../companies/companies.module';
import { OutboxModule } from '../outbox/outbox.module';
import { SkillsModule } from '../skills/skills.module';
import { Agent, AgentSkill, Certification } from './agent.entity';
import { AgentSkillsRepository } from './agent-skills.repository';
import { AgentsRepository } from './agents.repository';
import { AgentsService } from './agents.service';
import { CertificationsRepository } from './certifications.repository';
import { CertificationsService } from './certifications.service';

/**
 * The agents' tables and their services, without suspension: ShiftsModule imports this (agent
 * qualifications, seat locks, names) while AgentsModule, which suspends through ShiftsModule and
 * TicketsModule, imports both, so no import cycle forms.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([Agent, AgentSkill, Certification]),
    SkillsModule,
    CompaniesModule,
    // A profile or skills change may ask for the router (a trigger writes the job): a poke.
    OutboxModule,
  ],
  providers: [
    AgentsRepository,
    AgentSkillsRepository,
    CertificationsRepository,
    AgentsService,
    CertificationsService,
  ],
  exports: [AgentsService, CertificationsService],
})
export class AgentProfilesModule {}
