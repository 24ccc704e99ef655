import { Global, Module } from '@nestjs/common';
import { EarningsService } from './earnings.service';
import { ReleaseEarningHandler, TicketLedgerHandler } from './earnings-posting.handlers';
import { LedgerController } from './ledger.controller';
import { LedgerIntegrityService } from './ledger-integrity.service';
import { LedgerService } from './ledger.service';

@Global()
@Module({
  controllers: [LedgerController],
  providers: [
    LedgerService,
    EarningsService,
    LedgerIntegrityService,
    TicketLedgerHandler,
    ReleaseEarningHandler,
  ],
  exports: [LedgerService],
})
export class LedgerModule {}
