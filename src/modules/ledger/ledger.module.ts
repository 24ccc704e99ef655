import { Global, Module } from '@nestjs/common';
import { AdjustmentExpiryHandler } from './adjustment-expiry.handler';
import { AdjustmentsController } from './adjustments.controller';
import { AdjustmentsService } from './adjustments.service';
import { EarningsService } from './earnings.service';
import { ReleaseEarningHandler, TicketLedgerHandler } from './earnings-posting.handlers';
import { LedgerController } from './ledger.controller';
import { LedgerIntegrityService } from './ledger-integrity.service';
import { LedgerService } from './ledger.service';

@Global()
@Module({
  controllers: [LedgerController, AdjustmentsController],
  providers: [
    LedgerService,
    EarningsService,
    AdjustmentsService,
    AdjustmentExpiryHandler,
    LedgerIntegrityService,
    TicketLedgerHandler,
    ReleaseEarningHandler,
  ],
  exports: [LedgerService],
})
export class LedgerModule {}
