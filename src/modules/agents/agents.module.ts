import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SkillsModule } from '../skills/skills.module';
import { Agent, AgentSkill, Certification } from './agent.entity';
import { AgentsController, CertifiedAgentsController } from './agents.controller';
import { AgentsService } from './agents.service';
import { CertificationsService } from './certifications.service';

@Module({
  imports: [TypeOrmModule.forFeature([Agent, AgentSkill, Certification]), SkillsModule],
  controllers: [AgentsController, CertifiedAgentsController],
  providers: [AgentsService, CertificationsService],
  exports: [AgentsService],
})
export class AgentsModule {}
