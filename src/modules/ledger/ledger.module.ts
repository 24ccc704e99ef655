import { Module } from '@nestjs/common';
import { AgentProfilesModule } from '../agents/agent-profiles.module';
import { CompaniesModule } from '../companies/companies.module';
import { EventsModule } from '../events/events.module';
import { OutboxModule } from '../outbox/outbox.module';
import { TicketsModule } from '../tickets/tickets.module';
import { UsersModule } from '../users/users.module';
import { AgentIdentities } from './agent-identities.service';
import { AdjustmentExpiryHandler } from './adjustment-expiry.handler';
import { AdjustmentsController } from './adjustments.controller';
import { AdjustmentsRepository } from './adjustments.repository';
import { AdjustmentsService } from './adjustments.service';
import { BillableEntriesRepository } from './billable-entries.repository';
import { CompanyStatementService } from './company-statement.service';
import { EarningsRepository } from './earnings.repository';
import { EarningsService } from './earnings.service';
import { ReleaseEarningHandler, TicketLedgerHandler } from './earnings-posting.handlers';
import { JournalRepository } from './journal.repository';
import { LedgerController } from './ledger.controller';
import { LedgerIntegrityService } from './ledger-integrity.service';
import { LedgerService } from './ledger.service';

@Module({
  // Earnings are booked from tickets' claims; adjustments are made to agents, and finance sees
  // agents' names (agent profiles) and emails (users) beside their ids; the agent hears of its
  // earnings' moves (events); a statement's month is in the company's zone (companies).
  imports: [
    OutboxModule,
    TicketsModule,
    AgentProfilesModule,
    UsersModule,
    EventsModule,
    CompaniesModule,
  ],
  controllers: [LedgerController, AdjustmentsController],
  providers: [
    LedgerService,
    EarningsService,
    CompanyStatementService,
    AdjustmentsService,
    AdjustmentExpiryHandler,
    LedgerIntegrityService,
    TicketLedgerHandler,
    ReleaseEarningHandler,
    JournalRepository,
    EarningsRepository,
    AdjustmentsRepository,
    BillableEntriesRepository,
    AgentIdentities,
  ],
  // AgentIdentities: payouts shows the same names and emails on its lines.
  exports: [LedgerService, AgentIdentities],
})
export class LedgerModule {}
