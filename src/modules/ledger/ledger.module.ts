import { Module } from '@nestjs/common';
import { AgentProfilesModule } from '../agents/agent-profiles.module';
import { OutboxModule } from '../outbox/outbox.module';
import { TicketsModule } from '../tickets/tickets.module';
import { AdjustmentExpiryHandler } from './adjustment-expiry.handler';
import { AdjustmentsController } from './adjustments.controller';
import { AdjustmentsRepository } from './adjustments.repository';
import { AdjustmentsService } from './adjustments.service';
import { EarningsRepository } from './earnings.repository';
import { EarningsService } from './earnings.service';
import { ReleaseEarningHandler, TicketLedgerHandler } from './earnings-posting.handlers';
import { JournalRepository } from './journal.repository';
import { LedgerController } from './ledger.controller';
import { LedgerIntegrityService } from './ledger-integrity.service';
import { LedgerService } from './ledger.service';

@Module({
  // Earnings are booked from tickets' claims; adjustments are made to agents.
  imports: [OutboxModule, TicketsModule, AgentProfilesModule],
  controllers: [LedgerController, AdjustmentsController],
  providers: [
    LedgerService,
    EarningsService,
    AdjustmentsService,
    AdjustmentExpiryHandler,
    LedgerIntegrityService,
    TicketLedgerHandler,
    ReleaseEarningHandler,
    JournalRepository,
    EarningsRepository,
    AdjustmentsRepository,
  ],
  exports: [LedgerService],
})
export class LedgerModule {}
