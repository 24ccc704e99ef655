import { Module } from '@nestjs/common';
import { CompaniesModule } from '../companies/companies.module';
import { EventsModule } from '../events/events.module';
import { OutboxModule } from '../outbox/outbox.module';
import { ShiftsModule } from '../shifts/shifts.module';
import { TicketsModule } from '../tickets/tickets.module';
import { UsersModule } from '../users/users.module';
import { AgentDirectory } from './agent-directory.service';
import { AgentProfilesModule } from './agent-profiles.module';
import { AgentSuspensionService } from './agent-suspension.service';
import { CertificationRevocationService } from './certification-revocation.service';
import { AgentsController, CertifiedAgentsController } from './agents.controller';

@Module({
  imports: [
    AgentProfilesModule,
    // A revocation names the company to the agent it tells.
    CompaniesModule,
    // Suspension ends the agent's seats and tickets through their owners.
    ShiftsModule,
    TicketsModule,
    // ...and its event streams (at once, and by a job it writes).
    EventsModule,
    OutboxModule,
    // Emails, for the staff's directory.
    UsersModule,
  ],
  controllers: [AgentsController, CertifiedAgentsController],
  providers: [AgentSuspensionService, CertificationRevocationService, AgentDirectory],
  // AgentsService (profiles), as before, for the modules importing this one (auth).
  exports: [AgentProfilesModule],
})
export class AgentsModule {}
