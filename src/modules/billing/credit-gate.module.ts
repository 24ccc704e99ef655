import { Global, Module } from '@nestjs/common';
import { CREDIT_GATE } from '../../common/credit/credit-gate';
import { BillingModule } from './billing.module';
import { CreditControlService } from './credit-control.service';

/**
 * Credit control offered to every module under CREDIT_GATE (shifts ask it), without them
 * importing billing, which itself reads from shifts and tickets.
 */
@Global()
@Module({
  imports: [BillingModule],
  providers: [{ provide: CREDIT_GATE, useExisting: CreditControlService }],
  exports: [CREDIT_GATE],
})
export class CreditGateModule {}
