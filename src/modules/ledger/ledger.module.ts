import { Global, Module } from '@nestjs/common';
import { EarningsService } from './earnings.service';
import { ReleaseEarningHandler, TicketLedgerHandler } from './earnings-posting.handlers';
import { LedgerController } from './ledger.controller';
import { LedgerService } from './ledger.service';

@Global()
@Module({
  controllers: [LedgerController],
  providers: [LedgerService, EarningsService, TicketLedgerHandler, ReleaseEarningHandler],
  exports: [LedgerService],
})
export class LedgerModule {}
